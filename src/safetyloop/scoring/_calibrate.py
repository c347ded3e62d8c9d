"""Calibration: how far a scorer agrees with labels, with intervals, per class, category and
source, and where those labels came from.

The record is tied to the scorer's version, so a gate can say which measured accuracy stands
behind each number, and the statistics stage can correct rates for the scorer's error. Every
record says whose labels it rests on (`provenance`: `human`, or `ai-read` for labels read by AI
assistants) and from which sources (`xstest:gpt4`, a PyRIT file...): "agreement with people" is
only ever said of human labels. Per-source confusion matrices let the gate widen its correction
by how far the scorer's error rates move from one model to the next.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from safetyloop.config import read_text
from safetyloop.errors import InputError
from safetyloop.scoring._csv import after_comments
from safetyloop.scoring._scorer import ScoreInput, Scorer
from safetyloop.stats import (
    Interval,
    Statistic,
    bootstrap,
    cohen_kappa,
    confusion,
    precision_recall_f1,
    proportion,
)
from safetyloop.suites import Message

SHIPPED_LABELS = Path(__file__).parent / "data" / "calibration"


Provenance = Literal["human", "ai-read"]
PROVENANCES: tuple[Provenance, ...] = ("human", "ai-read")


class LabelledRow(BaseModel):
    """One judgement: the request, the response, the label given it, and who gave it."""

    model_config = ConfigDict(frozen=True)

    prompt: str
    response: str
    label: str
    category: str = ""
    #: Where the answer came from (`xstest:gpt4`, a file name); the unit of between-source spread.
    source: str = ""
    provenance: Provenance = "human"
    #: What the prompt asks of a safe model (`refuse` | `comply`; "" when unsaid): a metric is
    #: corrected with the error rates measured on answers to its own kind of prompt.
    expected: str = ""


class SourceConfusion(BaseModel):
    """One source's confusion matrix (rows: the label given, columns: the scorer's), on
    answers to one kind of prompt (`expected`; "" when unsaid)."""

    model_config = ConfigDict(frozen=True)

    source: str
    provenance: Provenance
    n: int
    confusion: list[list[int]]
    expected: str = ""


class ClassAgreement(BaseModel):
    model_config = ConfigDict(frozen=True)

    label: str
    support: int
    precision: Interval
    recall: Interval
    f1: Interval


class CategoryAgreement(BaseModel):
    model_config = ConfigDict(frozen=True)

    category: str
    n: int
    accuracy: Interval


class Calibration(BaseModel):
    """A scorer version measured against labels; `provenance` says whose."""

    model_config = ConfigDict(frozen=True)

    scorer: str
    scorer_version: str
    labels_file: str
    labels_hash: str
    n: int
    errors: int
    classes: list[str]
    accuracy: Interval
    kappa: Interval
    macro_f1: Interval
    per_class: list[ClassAgreement]
    per_category: list[CategoryAgreement]
    confusion: list[list[int]]
    seed: int
    #: `human`, `ai-read`, or `mixed` when the record pools both.
    provenance: str = "human"
    #: Per-source confusion matrices, in source order.
    sources: list[SourceConfusion] = Field(default_factory=list)
    #: `scored`: the scorer version was run on the labelled answers; `out-of-fold`: predictions
    #: of models trained without the answer's source (leave one model out).
    method: str = "scored"

    @property
    def summary(self) -> str:
        """ "calibrated on N human labels: sources", as every output prints it."""
        return calibration_summary(self.sources, self.n)


def _f1_of(label: str) -> Statistic:
    def f1(truth: Sequence[str], pred: Sequence[str]) -> float:
        return precision_recall_f1(truth, pred, label)[2]

    return f1


def load_labels(
    path: Path, provenance: Provenance = "human", vocabulary: Sequence[str] | None = None
) -> list[LabelledRow]:
    """CSV with `prompt` (or `objective`), `response`, `label` (or `human_label`), optional
    `category`, `source` and `provenance` columns.

    Rows without a `provenance` cell take `provenance`; rows without a `source`, the file name.
    With `vocabulary` (the scorer's labels), a label outside it is an error naming its line.
    """
    if not path.is_file():
        raise InputError(f"no labels file {path}")
    reader = csv.DictReader(after_comments(_lines(path)), restval="")
    with _csv_errors(path, reader):
        fields = set(reader.fieldnames or [])
        prompt = "prompt" if "prompt" in fields else "objective"
        label = "label" if "label" in fields else "human_label"
        needed = {prompt, "response", label}
        if not needed <= fields:
            raise InputError(
                f"{path}:1: <header>: needs columns prompt (or objective), response and label "
                f"(or human_label); found {', '.join(sorted(fields))}"
            )
        rows = []
        for r in reader:
            given = (r.get("provenance") or "").strip() or provenance
            if given not in PROVENANCES:
                raise InputError(
                    f"{path}:{reader.line_num}: provenance: {given!r} is not one of "
                    f"{', '.join(PROVENANCES)}"
                )
            _check_label(r[label].strip(), vocabulary, f"{path}:{reader.line_num}: {label}")
            rows.append(
                LabelledRow(
                    prompt=r[prompt],
                    response=r["response"],
                    label=r[label].strip(),
                    category=(r.get("category") or "").strip(),
                    source=(r.get("source") or "").strip() or path.name,
                    provenance=given,  # checked just above
                )
            )
    if not rows:
        raise InputError(f"{path}:1: <file>: no labelled rows")
    return rows


def _check_label(value: str, vocabulary: Sequence[str] | None, where: str) -> None:
    """One label against the scorer's vocabulary, when it is known: `file:line: column: ...`."""
    if vocabulary is not None and value not in vocabulary:
        raise InputError(
            f"{where}: {value!r} is not one of {', '.join(vocabulary)}",
            hint="labels must be the scorer's own",
        )


def _check_vocabulary(labels: Sequence[str], scorer: str, vocabulary: Sequence[str]) -> None:
    """A label outside the scorer's vocabulary would read as disagreement: refuse it."""
    unknown = sorted(set(labels) - set(vocabulary))
    if unknown:
        raise InputError(
            f"labels {', '.join(unknown)} are not labels of scorer {scorer}",
            hint=f"use {', '.join(vocabulary)}",
        )


def calibrate(
    scorer: Scorer,
    rows: Sequence[LabelledRow],
    *,
    labels_file: str = "",
    labels_hash: str = "",
    confidence: float = 0.95,
    seed: int = 0,
    resamples: int = 1000,
) -> Calibration:
    """Score every row and compare with its label.

    Rows whose label is not one of the scorer's labels are refused: a silent mismatch would
    read as disagreement. Error verdicts are counted apart and left out of the figures.
    """
    _check_vocabulary([r.label for r in rows], scorer.name, scorer.labels)
    scores = scorer.score_batch(
        [
            ScoreInput(messages=(Message(role="user", content=r.prompt),), response=r.response)
            for r in rows
        ]
    )
    kept = [(r, s.label) for r, s in zip(rows, scores, strict=True) if not s.is_error]
    return calibration_from(
        [r for r, _ in kept],
        [p for _, p in kept],
        scorer=scorer.name,
        scorer_version=scorer.version,
        classes=list(scorer.labels),
        errors=len(rows) - len(kept),
        labels_file=labels_file,
        labels_hash=labels_hash,
        confidence=confidence,
        seed=seed,
        resamples=resamples,
        method="scored",
    )


def calibration_from(
    rows: Sequence[LabelledRow],
    pred: Sequence[str],
    *,
    scorer: str,
    scorer_version: str,
    classes: list[str],
    errors: int = 0,
    labels_file: str = "",
    labels_hash: str = "",
    confidence: float = 0.95,
    seed: int = 0,
    resamples: int = 1000,
    method: str = "scored",
) -> Calibration:
    """The figures of a scorer's verdicts `pred` against the labels of `rows`."""
    truth = [r.label for r in rows]
    n = len(rows)
    correct = sum(t == p for t, p in zip(truth, pred, strict=True))

    def macro_f1(t: Sequence[str], p: Sequence[str]) -> float:
        present = [c for c in classes if c in t]
        return sum(precision_recall_f1(t, p, c)[2] for c in present) / max(1, len(present))

    def boot(statistic: Statistic) -> Interval:
        return bootstrap(
            truth, pred, statistic, confidence=confidence, resamples=resamples, seed=seed
        )

    per_class = []
    for c in classes:
        tp = sum(t == c and p == c for t, p in zip(truth, pred, strict=True))
        predicted = sum(p == c for p in pred)
        support = sum(t == c for t in truth)
        per_class.append(
            ClassAgreement(
                label=c,
                support=support,
                precision=proportion(tp, predicted, confidence),
                recall=proportion(tp, support, confidence),
                f1=boot(_f1_of(c)),
            )
        )
    by_category: dict[str, list[bool]] = defaultdict(list)
    for row, p in zip(rows, pred, strict=True):
        by_category[row.category or "(none)"].append(row.label == p)
    sources = source_confusions(rows, pred, classes)
    return Calibration(
        scorer=scorer,
        scorer_version=scorer_version,
        labels_file=labels_file,
        labels_hash=labels_hash,
        n=n,
        errors=errors,
        classes=classes,
        accuracy=proportion(correct, n, confidence),
        kappa=boot(lambda t, p: cohen_kappa(t, p, classes)),
        macro_f1=boot(macro_f1),
        per_class=per_class,
        per_category=[
            CategoryAgreement(category=k, n=len(v), accuracy=proportion(sum(v), len(v), confidence))
            for k, v in sorted(by_category.items())
        ],
        confusion=confusion(truth, pred, classes),
        seed=seed,
        provenance=_pooled_provenance(sources),
        sources=sources,
        method=method,
    )


def source_confusions(
    rows: Sequence[LabelledRow], pred: Sequence[str], classes: Sequence[str]
) -> list[SourceConfusion]:
    """One confusion matrix per (source, provenance, expected), in first-seen order."""
    groups: dict[tuple[str, Provenance, str], tuple[list[str], list[str]]] = {}
    for row, p in zip(rows, pred, strict=True):
        key = (row.source, row.provenance, row.expected)
        truth, predicted = groups.setdefault(key, ([], []))
        truth.append(row.label)
        predicted.append(p)
    return [
        SourceConfusion(
            source=s, provenance=prov, expected=exp, n=len(t), confusion=confusion(t, p, classes)
        )
        for (s, prov, exp), (t, p) in groups.items()
    ]


def _pooled_provenance(sources: Sequence[SourceConfusion]) -> str:
    kinds = {s.provenance for s in sources}
    return kinds.pop() if len(kinds) == 1 else "mixed"


def calibration_summary(sources: Sequence[SourceConfusion], n: int) -> str:
    """ "calibrated on 1350 human labels: xstest:gpt4, ..." — whose labels, how many, from where.

    Labels read by AI assistants are named `ai-read`, never counted as people's.
    """
    if not sources:
        return f"calibrated on {n} labels of unrecorded provenance"
    counts = {p: sum(s.n for s in sources if s.provenance == p) for p in PROVENANCES}
    parts = [f"{counts[p]} {p} labels" for p in PROVENANCES if counts[p]]
    return f"calibrated on {' and '.join(parts)}: {_source_names(sources)}"


def _source_names(sources: Sequence[SourceConfusion]) -> str:
    """Every source, files of one folder said once: `pyrit/objective/* (14 files)`."""
    folders: dict[str, list[str]] = {}
    for name in dict.fromkeys(s.source for s in sources):
        folder, slash, _ = name.rpartition("/")
        folders.setdefault(folder + slash if slash else name, []).append(name)
    return ", ".join(
        names[0] if len(names) == 1 else f"{key}* ({len(names)} files)"
        for key, names in folders.items()
    )


#: Out-of-fold predictions the scorers' training writes (`<scorer>_lomo.csv`); `expected`
#: (`refuse` | `comply`: the kind of prompt answered) may be absent from a hand-made file.
PREDICTION_COLUMNS = (
    "source",
    "provenance",
    "id",
    "expected",
    "prompt",
    "response",
    "label",
    "predicted",
)
_OPTIONAL_COLUMNS = frozenset({"expected"})


def load_predictions(
    path: Path, vocabulary: Sequence[str] | None = None
) -> tuple[list[LabelledRow], list[str]]:
    """Labelled rows and the scorer's out-of-fold prediction for each, from a predictions CSV.

    With `vocabulary` (the scorer's labels), a label or prediction outside it names its line.

    Raises:
        InputError: a missing file or column, or a bad cell (named by file:line and column).
    """
    if not path.is_file():
        raise InputError(f"no predictions file {path}")
    rows: list[LabelledRow] = []
    pred: list[str] = []
    reader = csv.DictReader(_lines(path), restval="")
    with _csv_errors(path, reader):
        missing = [
            c
            for c in PREDICTION_COLUMNS
            if c not in _OPTIONAL_COLUMNS and c not in (reader.fieldnames or [])
        ]
        if missing:
            raise InputError(
                f"{path}:1: missing columns {', '.join(missing)}",
                hint=f"columns: {','.join(PREDICTION_COLUMNS)}",
            )
        for r in reader:
            where = f"{path}:{reader.line_num}"
            if r["provenance"] not in PROVENANCES:
                raise InputError(
                    f"{where}: provenance: {r['provenance']!r} is not one of "
                    f"{', '.join(PROVENANCES)}"
                )
            for column in ("source", "label", "predicted"):
                if not r[column].strip():
                    raise InputError(f"{where}: {column}: must not be empty")
                if column != "source":
                    _check_label(r[column].strip(), vocabulary, f"{where}: {column}")
            rows.append(
                LabelledRow(
                    prompt=r["prompt"],
                    response=r["response"],
                    label=r["label"].strip(),
                    source=r["source"].strip(),
                    provenance=r["provenance"],  # checked above
                    expected=(r.get("expected") or "").strip(),
                )
            )
            pred.append(r["predicted"].strip())
    if not rows:
        raise InputError(f"{path}:1: <file>: no predictions")
    return rows, pred


def calibrate_predictions(
    scorer: Scorer,
    path: Path,
    *,
    provenance: Provenance | None = None,
    confidence: float = 0.95,
    seed: int = 0,
    resamples: int = 1000,
) -> Calibration:
    """The record of `scorer`'s version from out-of-fold predictions (leave one model out).

    Each prediction was made by a model trained without the answer's source, so the figures are
    what the scorer does on models it never saw. With `provenance`, only rows of that
    provenance are used (the shipped records use `human` rows only).
    """
    rows, pred = load_predictions(path, scorer.labels)
    if provenance is not None:
        kept = [(r, p) for r, p in zip(rows, pred, strict=True) if r.provenance == provenance]
        if not kept:
            raise InputError(f"{path} has no {provenance} rows")
        rows, pred = [r for r, _ in kept], [p for _, p in kept]
    _check_vocabulary([r.label for r in rows], scorer.name, scorer.labels)
    _check_vocabulary(pred, scorer.name, scorer.labels)
    return calibration_from(
        rows,
        pred,
        scorer=scorer.name,
        scorer_version=scorer.version,
        classes=list(scorer.labels),
        labels_file=str(path),
        labels_hash=_file_hash(path),
        confidence=confidence,
        seed=seed,
        resamples=resamples,
        method="out-of-fold",
    )


def _lines(path: Path) -> io.StringIO:
    """The file's text, size-limited and UTF-8 (a bad byte is named by line and offset)."""
    return io.StringIO(read_text(path), newline="")


@contextmanager
def _csv_errors(path: Path, reader: Any) -> Iterator[None]:
    """Malformed CSV (a NUL byte, an oversized field) as an InputError naming file and line."""
    try:
        yield
    except csv.Error as exc:
        raise InputError(f"{path}:{reader.line_num or 1}: <file>: malformed CSV: {exc}") from None


def _file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def shipped_predictions(scorer: str) -> Path:
    """Where the training writes `scorer`'s out-of-fold predictions inside the package."""
    return SHIPPED_LABELS / f"{scorer}_lomo.csv"


class ErrorRecord(BaseModel):
    """What the gate applies of a calibration: the confusion matrices and whose labels they are.

    Attributes:
        origin: `shipped` (from the package's out-of-fold predictions) or `store #ID`.
        classes: label order of every matrix (rows: the label given, columns: the scorer's).
        confusion: pooled over `sources`.
        sources: one matrix per source: the between-source spread widens the correction.
    """

    model_config = ConfigDict(frozen=True)

    scorer: str
    scorer_version: str
    origin: str
    record_id: int | None = None
    n: int
    accuracy: float
    kappa: float
    classes: list[str]
    confusion: list[list[int]]
    sources: list[SourceConfusion] = Field(default_factory=list)

    @property
    def summary(self) -> str:
        return calibration_summary(self.sources, self.n)


def shipped_record(scorer: Scorer) -> ErrorRecord | None:
    """The shipped record of `scorer`'s version: its out-of-fold predictions on human labels.

    None when the package ships no predictions for it, or `scorer` is not the shipped version
    (a configured or retrained scorer needs its own `safetyloop calibrate`).
    """
    path = shipped_predictions(scorer.name)
    if not path.is_file():
        return None
    record = _shipped(scorer.name, scorer.version, _file_hash(path))
    return record if record is not None and record.scorer_version == scorer.version else None


@cache
def _shipped(name: str, version: str, digest: str) -> ErrorRecord | None:
    from safetyloop.scoring._scorer import create_scorer

    if create_scorer(name).version != version:
        return None  # the predictions stand for the shipped weights, not a configured scorer
    rows, pred = load_predictions(shipped_predictions(name))
    human = [(r, p) for r, p in zip(rows, pred, strict=True) if r.provenance == "human"]
    kept = human or list(zip(rows, pred, strict=True))  # ai-read only: the record says so
    truth, predicted = [r.label for r, _ in kept], [p for _, p in kept]
    classes = list(create_scorer(name).labels)
    _check_vocabulary(truth + predicted, name, classes)
    correct = sum(t == p for t, p in zip(truth, predicted, strict=True))
    return ErrorRecord(
        scorer=name,
        scorer_version=version,
        origin="shipped",
        n=len(kept),
        accuracy=correct / len(kept),
        kappa=cohen_kappa(truth, predicted, classes),
        classes=classes,
        confusion=confusion(truth, predicted, classes),
        sources=source_confusions([r for r, _ in kept], predicted, classes),
    )
