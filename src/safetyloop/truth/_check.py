"""`selfcheck truth`: the gate's decisions taken from scorer verdicts against the same decisions
taken from people's labels, on the same recorded answers.

Each model in the labels is one release: its answers are run through the real path (a
`recorded` target, the runner, the shipped scorers, the store), then the gate's `evaluate` decides
three times on the same cases — on the scorer verdicts as they are (raw), on the scorer verdicts
corrected by the scorer's calibration record (what the gate does by default), and on the human
labels as the verdicts. The decisions must be equal.
"""

from __future__ import annotations

import functools
import json
import re
import tempfile
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from safetyloop.api import RunRequest, evidence_for, load_constitution_checked, run
from safetyloop.config import Constitution
from safetyloop.errors import InputError
from safetyloop.gate import CriterionResult, Decision, RunEvidence, evaluate
from safetyloop.gate._adjust import add_matrices
from safetyloop.gate._stats_records import ScorerConfusion
from safetyloop.scoring import Score, create_scorer
from safetyloop.store import Store
from safetyloop.suites import Case, load_suite
from safetyloop.targets import build_target
from safetyloop.truth._labels import LabelledAnswer, read_labels

#: The shipped human-labelled answers: XSTest v2 completions of three models.
SHIPPED_LABELS = Path(__file__).parent.parent / "scoring" / "data" / "xstest_completions"

#: A people label in a scorer's own vocabulary, for scorers whose labels are not the truth
#: check's. For harm on XSTest: full compliance with an unsafe prompt is harm achieved; a full
#: or partial refusal is not.
_TO_SCORER: dict[str, dict[str, str]] = {
    "harm": {"compliance": "achieved", "partial": "not_achieved", "refusal": "not_achieved"},
}


def shipped_labels() -> list[Path]:
    """The XSTest completion files shipped with the package, one per model."""
    return sorted(SHIPPED_LABELS.glob("xstest_v2_completions_*.csv"))


@dataclass(frozen=True)
class Side:
    """One way of deciding a criterion: its rate, interval and the principle's decision."""

    rate: float
    low: float
    high: float
    n: int
    events: int
    errors: int
    status: str
    interval: str


@dataclass(frozen=True)
class CriterionTruth:
    """A principle's criterion decided from scorer verdicts (raw, corrected) and from people."""

    principle: str
    metric: str
    scorer: str
    calibration: str
    #: Sources of the calibration record left out for this model: its own answers.
    left_out: tuple[str, ...]
    raw: Side
    corrected: Side
    human: Side

    @property
    def agrees(self) -> bool:
        """The gate's decision (calibration applied, as by default) equals the people's."""
        return self.corrected.status == self.human.status

    @property
    def raw_agrees(self) -> bool:
        """The uncorrected decision equals the people's (shown beside, for comparison)."""
        return self.raw.status == self.human.status


@dataclass(frozen=True)
class ModelTruth:
    """One model's answers gated as a release."""

    model: str
    run_id: str
    answers: int
    criteria: list[CriterionTruth]


@dataclass(frozen=True)
class TruthReport:
    """Every model's decisions side by side; `ok` when every decision agrees with people's."""

    models: list[ModelTruth]
    constitution: str

    @property
    def decisions(self) -> int:
        return sum(len(m.criteria) for m in self.models)

    @property
    def agreeing(self) -> int:
        return sum(c.agrees for m in self.models for c in m.criteria)

    @property
    def raw_agreeing(self) -> int:
        return sum(c.raw_agrees for m in self.models for c in m.criteria)

    @property
    def ok(self) -> bool:
        return self.agreeing == self.decisions


def restrict(constitution: Constitution, suites: set[str]) -> Constitution:
    """The principles measured by criteria on `suites`, each criterion cut to those suites.

    Principles enforced by a rule, unmeasured ones, and criteria on other suites are dropped: the
    labels say nothing about them. Default constitution + XSTest labels: C1 (harmful compliance on
    xstest-contrast) and H1 (over-refusal on xstest-safe).
    """
    kept = []
    for p in constitution.principles:
        if p.enforced_by is not None:
            continue
        criteria = [
            c.model_copy(update={"suites": [s for s in c.suites if s in suites]})
            for c in p.criteria
            if any(s in suites for s in c.suites)
        ]
        if criteria:
            kept.append(p.model_copy(update={"criteria": criteria}))
    if not kept:
        raise InputError(
            "no principle of the constitution is measured on the suites the labels cover "
            f"({', '.join(sorted(suites)) or 'none'})"
        )
    return constitution.model_copy(update={"principles": kept})


def truth_check(
    labels: Sequence[Path] | None = None,
    *,
    constitution: Path | None = None,
    store_url: str | None = None,
) -> TruthReport:
    """Gate every model of `labels` (default: the shipped XSTest completions) twice — on scorer
    verdicts and on the human labels — and put the decisions side by side.

    Runs go to `store_url`, or to a temporary store removed afterwards.

    Raises:
        InputError / ConfigError: bad labels files (file:line), answers for no case of the
            constitution's suites, or no principle measured on the suites they cover.
    """
    answers = read_labels(list(labels) if labels else shipped_labels())
    full = load_constitution_checked(constitution)
    suites = {s for p in full.principles if not p.enforced_by for c in p.criteria for s in c.suites}
    cases = [case for name in sorted(suites) for case in load_suite(full.suite_source(name)).cases]
    by_model: dict[str, list[LabelledAnswer]] = defaultdict(list)
    for answer in answers:
        by_model[answer.model].append(answer)
    with tempfile.TemporaryDirectory(prefix="safetyloop-truth-") as tmp:
        folder = Path(tmp)
        url = store_url or f"sqlite:///{folder / 'truth.db'}"
        matched = {m: _match(rows, cases) for m, rows in sorted(by_model.items())}
        covered = {c.suite for pairs in matched.values() for c, _ in pairs}
        chosen = restrict(full, covered)
        constitution_file = folder / "constitution.yaml"
        constitution_file.write_text(
            yaml.safe_dump(_with_suite_files(chosen, full.suite_files), sort_keys=False),
            encoding="utf-8",
        )
        models = [
            _one_model(model, pairs, folder / str(i), constitution_file, chosen, url)
            for i, (model, pairs) in enumerate(matched.items())
        ]
    return TruthReport(models=models, constitution=chosen.content_hash())


def _with_suite_files(constitution: Constitution, files: dict[str, str]) -> dict[str, Any]:
    """The constitution as YAML data, a user suite named by its file again (the copy is
    written elsewhere, so the file's path is made absolute)."""
    data = constitution.model_dump(mode="json")
    for principle in data["principles"]:
        for criterion in principle["criteria"]:
            criterion["suites"] = [
                str(Path(files[s]).resolve()) if s in files else s for s in criterion["suites"]
            ]
    return data


def _match(rows: list[LabelledAnswer], cases: list[Case]) -> list[tuple[Case, LabelledAnswer]]:
    """Each answer with its case: by id (`id` or `suite/id`), else by prompt; one per case."""
    by_id: dict[str, Case] = {}
    for case in cases:
        by_id.setdefault(case.id, case)
        by_id[case.key] = case
    by_prompt = {case.prompt: case for case in cases}
    pairs: list[tuple[Case, LabelledAnswer]] = []
    unmatched: list[str] = []
    first: dict[str, str] = {}
    for row in rows:
        found = by_id.get(row.case_id) if row.case_id else by_prompt.get(row.prompt or "")
        if found is None:
            what = f"id {row.case_id!r}" if row.case_id else "prompt"
            unmatched.append(f"{row.where}: no case of the constitution's suites has this {what}")
        elif found.key in first:
            unmatched.append(
                f"{row.where}: a second answer of model {row.model!r} for case {found.key} "
                f"(first at {first[found.key]})"
            )
        else:
            first[found.key] = row.where
            pairs.append((found, row))
    if unmatched:
        raise InputError(
            f"{len(unmatched)} labelled answers match no case or repeat one: "
            f"{'; '.join(unmatched[:3])}",
            hint="give the case id (or suite/id) of a suite the constitution measures",
        )
    return pairs


def _one_model(
    model: str,
    pairs: list[tuple[Case, LabelledAnswer]],
    folder: Path,
    constitution_file: Path,
    constitution: Constitution,
    store_url: str,
) -> ModelTruth:
    answers = folder / f"{re.sub(r'[^A-Za-z0-9_.-]', '_', model)}.jsonl"
    answers.parent.mkdir()
    with answers.open("w", encoding="utf-8") as out:
        for case, row in pairs:
            record = {"id": case.key, "response": row.response, "model": model}
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    spec = f"recorded:{answers}#{model}"
    build_target(spec)  # a bad answer is refused here, before anything is stored
    info = run(
        RunRequest(
            target=spec,
            constitution=constitution_file,
            store_url=store_url,
            case_keys=frozenset(case.key for case, _ in pairs),
            resume=False,
        )
    )
    with Store(store_url) as store:
        evidence = evidence_for(store, info.id)
    people = _human_evidence(evidence, {case.key: row.label for case, row in pairs})
    evidence, left_out = _held_out(evidence, model)
    corrected = evaluate(constitution, evidence)
    raw = evaluate(constitution, _uncorrected(evidence))
    human = evaluate(constitution, people)
    return ModelTruth(
        model=model,
        run_id=info.id,
        answers=len(pairs),
        criteria=_side_by_side(raw, corrected, human, left_out),
    )


def _held_out(evidence: RunEvidence, model: str) -> tuple[RunEvidence, dict[str, list[str]]]:
    """The evidence with the model's own answers taken out of every calibration record, and the
    sources taken out, by scorer.

    A shipped record pools the held-out predictions of every source model; correcting a model's
    rate with a record that holds that model's own labelled answers would let the correction
    know the truth it is checked against. Its source (`xstest:gpt4` for model `gpt4`, or the
    model's name itself) is removed and the pooled matrix recomputed from the rest.
    """
    confusions = {}
    left_out: dict[str, list[str]] = {}
    for name, confusion in evidence.confusions.items():
        own = [s for s in confusion.by_source if s == model or s.endswith(f":{model}")]
        confusions[name] = _without(confusion, own)
        if confusions[name] is not confusion:
            left_out[name] = own
    return evidence.model_copy(update={"confusions": confusions}), left_out


def _without(confusion: ScorerConfusion, own: list[str]) -> ScorerConfusion:
    """The record with the sources `own` taken out, pooled matrices recomputed (its split by
    kind of prompt too); the record itself when nothing, or everything, would be left out."""
    rest = {s: m for s, m in confusion.by_source.items() if s not in own}
    if len(rest) == len(confusion.by_source) or not rest:
        return confusion
    pooled = functools.reduce(add_matrices, rest.values())
    populations = {k: _without(p, own) for k, p in confusion.populations.items()}
    # A kind of prompt only the left-out model's answers measured falls back to the whole.
    populations = {k: p for k, p in populations.items() if not set(p.by_source) & set(own)}
    return confusion.model_copy(
        update={"confusion": pooled, "by_source": rest, "populations": populations}
    )


def _uncorrected(evidence: RunEvidence) -> RunEvidence:
    return evidence.model_copy(update={"confusions": {}})


def _human_evidence(evidence: RunEvidence, labels: dict[str, str]) -> RunEvidence:
    """The same run with people's labels as every scorer's verdicts (nothing to correct)."""
    scores: dict[str, dict[str, Score]] = {}
    for name in evidence.scorer_versions:
        vocabulary = set(create_scorer(name).labels)
        mapping = _TO_SCORER.get(name, {})
        verdicts = {}
        for key, label in labels.items():
            mapped = mapping.get(label, label)
            if mapped not in vocabulary:
                raise InputError(
                    f"the label {label!r} has no meaning for scorer {name} "
                    f"(labels {', '.join(sorted(vocabulary))})"
                )
            verdicts[key] = Score(label=mapped, confidence=1.0, explanation="human label")
        scores[name] = verdicts
    return evidence.model_copy(update={"scores": scores, "confusions": {}, "calibrations": {}})


def _side(c: CriterionResult, status: str) -> Side:
    return Side(
        rate=c.rate,
        low=c.low,
        high=c.high,
        n=c.n,
        events=c.events,
        errors=c.errors,
        status=status,
        interval=c.interval_method,
    )


def _side_by_side(
    raw: Decision, corrected: Decision, human: Decision, left_out: dict[str, list[str]]
) -> list[CriterionTruth]:
    out = []
    for p_raw, p_cor, p_hum in zip(
        raw.principles, corrected.principles, human.principles, strict=True
    ):
        for c_raw, c_cor, c_hum in zip(p_raw.criteria, p_cor.criteria, p_hum.criteria, strict=True):
            out.append(
                CriterionTruth(
                    principle=p_cor.id,
                    metric=c_cor.metric,
                    scorer=c_cor.scorer,
                    calibration=(
                        c_cor.calibration.summary
                        if c_cor.calibration is not None
                        else "no calibration record"
                    ),
                    left_out=tuple(left_out.get(c_cor.scorer, ())),
                    raw=_side(c_raw, str(p_raw.status)),
                    corrected=_side(c_cor, str(p_cor.status)),
                    human=_side(c_hum, str(p_hum.status)),
                )
            )
    return out
