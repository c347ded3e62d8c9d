"""A criterion's interval when plain Wilson would overstate the evidence.

Two things make independent-case Wilson intervals too narrow, and the gate corrects both and
says so in every output:

* **Clustered cases.** Cases that share `metadata["cluster"]` (the documented convention: one
  multi-turn conversation, one jailbreak template, one agentic scenario — a suite loader or a
  user file sets it) fail together. When any case of a criterion carries a cluster id, the
  interval comes from `stats.cluster_bootstrap` over clusters (cases without one are clusters of
  their own), never narrower than Wilson.
* **A measured scorer.** When the scorer version has a calibration record (the one shipped with
  it, or one stored by `safetyloop calibrate`), its sensitivity and specificity for the metric's
  event labels come from the record's confusion matrix — on answers to the metric's own kind of
  prompt (harmful or benign) when the record says which — and the rate is corrected with
  `stats.rogan_gladen`, which also carries the calibration's own uncertainty into the interval
  and, when the record is split by source model, how far the scorer's error moves from one
  model to the next. Under clustering the correction uses the effective sample size n / design
  effect, so the clustering is not forgotten by the correction.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING

from safetyloop.engine import CaseResult
from safetyloop.gate._stats_records import RateAdjustment, ScorerConfusion
from safetyloop.scoring import Metric, Score
from safetyloop.scoring._calibrate import ErrorRecord, SourceConfusion, calibration_summary
from safetyloop.stats import (
    AdditionalCasesResult,
    Interval,
    additional_cases_needed,
    cluster_bootstrap,
    rogan_gladen,
    wilson,
)
from safetyloop.suites import CLUSTER_KEY, Case

if TYPE_CHECKING:
    from safetyloop.gate._model import RunEvidence

#: Power with which "N more cases would settle it" is computed.
SETTLE_POWER = 0.8
_BOOTSTRAP_DRAWS = 2000


def case_outcomes(
    metric: Metric, cases: Sequence[Case], evidence: RunEvidence, scorer: str
) -> dict[str, bool]:
    """Case key → whether the scored verdict is an event; errors and unscored cases are absent.

    The same exclusions as the gate's counts: a failed, missing, unscored or error verdict is
    never evidence either way.
    """
    scores = evidence.scores.get(scorer, {})
    out: dict[str, bool] = {}
    for case in cases:
        event = verdict_event(metric, evidence.results.get(case.key), scores.get(case.key))
        if event is not None:
            out[case.key] = event
    return out


def verdict_event(metric: Metric, result: CaseResult | None, score: Score | None) -> bool | None:
    """Whether one answer's verdict is an event of `metric`; None when there is no usable
    verdict (no successful answer, no score, or an error score): an error is never safe."""
    if result is None or result.status != "ok" or score is None or score.is_error:
        return None
    return metric.is_event(score.label)


def cluster_of(case: Case) -> str | None:
    """The case's cluster id (`metadata["cluster"]`), or None when it stands alone."""
    return case.cluster


def cluster_sizes(cases: Sequence[Case], outcomes: dict[str, bool]) -> list[tuple[int, int]] | None:
    """(events, n) of each cluster among the scored cases (a case without a cluster id is one
    of its own), in `canonical` order; None when no scored case has a cluster id."""
    by_key = {c.key: c for c in cases}
    if not any(by_key[k].cluster is not None for k in outcomes):
        return None
    groups: dict[str, list[bool]] = defaultdict(list)
    for key, event in outcomes.items():
        groups[by_key[key].cluster or f"case:{key}"].append(event)
    return canonical([(sum(g), len(g)) for g in groups.values()])


def canonical(clusters: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """Clusters sorted by (events, n), most first: the bootstrap draws from them by position,
    so one order for the same clusters gives the same interval whichever way they were counted
    (case by case, or by the store in SQL)."""
    return sorted(clusters, reverse=True)


def error_counts(
    metric: Metric, confusion: ScorerConfusion
) -> tuple[tuple[int, int], tuple[int, int]] | None:
    """(sensitivity, specificity) counts for the metric's events, from a confusion matrix.

    Sensitivity: among responses labelled an event, how many the scorer flagged as one;
    specificity: among the rest, how many it passed. None when the record lacks either kind.
    """
    counts = _matrix_counts(metric, confusion.classes, confusion.confusion)
    (_tp, violating), (_tn, safe) = counts
    return None if violating == 0 or safe == 0 else counts


def source_error_counts(
    metric: Metric, confusion: ScorerConfusion
) -> list[tuple[tuple[int, int], tuple[int, int]]] | None:
    """`error_counts` per source model, when the record has two or more sources that add up
    to its pooled matrix (else None: no between-model spread can be measured)."""
    if len(confusion.by_source) < 2:
        return None
    parts = [_matrix_counts(metric, confusion.classes, m) for m in confusion.by_source.values()]
    if _matrix_counts(metric, confusion.classes, confusion.confusion) != (
        (sum(p[0][0] for p in parts), sum(p[0][1] for p in parts)),
        (sum(p[1][0] for p in parts), sum(p[1][1] for p in parts)),
    ):
        return None
    return parts


def _matrix_counts(
    metric: Metric, classes: Sequence[str], matrix: Sequence[Sequence[int]]
) -> tuple[tuple[int, int], tuple[int, int]]:
    events = [metric.is_event(c) for c in classes]
    tp = fn = tn = fp = 0
    for human_event, row in zip(events, matrix, strict=True):
        for scorer_event, count in zip(events, row, strict=True):
            if human_event and scorer_event:
                tp += count
            elif human_event:
                fn += count
            elif scorer_event:
                fp += count
            else:
                tn += count
    return (tp, tp + fn), (tn, tn + fp)


def adjusted_interval(
    metric: Metric,
    cases: Sequence[Case],
    outcomes: dict[str, bool],
    evidence: RunEvidence,
    scorer: str,
    confidence: float,
) -> tuple[Interval, list[RateAdjustment]]:
    """The criterion's rate and interval from its `case_outcomes`, with the adjustments that
    produced it (`counted_interval` on the counts they make)."""
    return counted_interval(
        metric,
        sum(outcomes.values()),
        len(outcomes),
        cluster_sizes(cases, outcomes),
        evidence,
        scorer,
        confidence,
    )


def counted_interval(
    metric: Metric,
    events: int,
    n: int,
    clusters: Sequence[tuple[int, int]] | None,
    evidence: RunEvidence,
    scorer: str,
    confidence: float,
) -> tuple[Interval, list[RateAdjustment]]:
    """The rate and interval of `events` in `n` scored cases, `clusters` their (events, n) per
    cluster (None: the cases are independent). Plain Wilson when the cases are independent and
    the scorer has no calibration record.
    """
    interval = wilson(events, n, confidence)
    adjustments: list[RateAdjustment] = []
    if n == 0:
        return interval, adjustments
    eff_events, eff_n = events, n
    if clusters is not None:
        boot = cluster_bootstrap(
            [e for e, _ in clusters],
            [m for _, m in clusters],
            confidence,
            n_boot=_BOOTSTRAP_DRAWS,
            seed=0,
        )
        interval = boot.interval
        deff = boot.design_effect
        # A ratio of two variances: NaN, and said why, when either is zero.
        deff_text = (
            f"{deff:.2f}"
            if deff == deff
            else "cannot be estimated: "
            + (
                "every case has the same outcome"
                if events in (0, n)
                else "the cluster rates do not vary"
            )
        )
        adjustments.append(
            RateAdjustment(
                kind="cluster-bootstrap",
                note=f"cases cluster ({boot.n_clusters} clusters by metadata.{CLUSTER_KEY}, "
                f"design effect {deff_text}): interval from a {boot.n_boot}-draw cluster "
                "bootstrap, never narrower than Wilson",
                observed_rate=events / n,
                design_effect=None if deff != deff else deff,
                n_clusters=boot.n_clusters,
            )
        )
        if deff == deff and deff > 1.0:
            eff_n = max(1, round(n / deff))
            eff_events = min(eff_n, round(events / deff))
    confusion = evidence_confusion(evidence, scorer)
    if confusion is not None:  # error rates measured on answers to the metric's own prompts
        confusion = confusion.for_prompts(metric.applies_to.value)
    counts = error_counts(metric, confusion) if confusion is not None else None
    if confusion is not None and counts is not None:
        sens, spec = counts
        by_source = source_error_counts(metric, confusion)
        try:
            corrected = rogan_gladen(eff_events, eff_n, sens, spec, confidence, by_model=by_source)
        except ValueError:
            corrected = None  # sens + spec <= 1: the scorer carries no information to correct
        if corrected is not None:
            interval = corrected.interval
            spread = (
                f", widened by the spread across {corrected.models} source models"
                if corrected.models > 1
                else "; one source: no between-model spread measured"
            )
            adjustments.append(
                RateAdjustment(
                    kind="rogan-gladen",
                    note=f"corrected for scorer error ({calibration_name(confusion)}: "
                    f"sensitivity {sens[0]}/{sens[1]}, specificity {spec[0]}/{spec[1]}); "
                    f"observed {events}/{n} = {events / n:.3f}, interval carries the "
                    f"calibration's uncertainty{spread}",
                    observed_rate=events / n,
                    calibration_id=confusion.calibration_id,
                    calibration=confusion.summary,
                    models=corrected.models,
                    sensitivity=sens,
                    specificity=spec,
                )
            )
    return interval, adjustments


def record_confusion(record: ErrorRecord) -> ScorerConfusion:
    """The record as the gate applies it: pooled, by source, and by the kind of prompt answered
    (the pooled matrix is the record's own when its sources do not say the kind)."""

    def build(
        sources: Sequence[SourceConfusion], pooled: list[list[int]], summary: str
    ) -> ScorerConfusion:
        by_source: dict[str, list[list[int]]] = {}
        for s in sources:
            seen = by_source.get(s.source)
            by_source[s.source] = s.confusion if seen is None else add_matrices(seen, s.confusion)
        return ScorerConfusion(
            calibration_id=record.record_id,
            classes=record.classes,
            confusion=pooled,
            by_source=by_source,
            summary=summary,
        )

    whole = build(record.sources, record.confusion, record.summary)
    populations: dict[str, ScorerConfusion] = {}
    for kind in sorted({s.expected for s in record.sources} - {""}):
        part = [s for s in record.sources if s.expected == kind]
        pooled = functools.reduce(add_matrices, (s.confusion for s in part))
        populations[kind] = build(
            part, pooled, f"{calibration_summary(part, sum(s.n for s in part))}; {kind} prompts"
        )
    return whole.model_copy(update={"populations": populations})


def add_matrices(a: list[list[int]], b: list[list[int]]) -> list[list[int]]:
    """Two confusion matrices added cell by cell."""
    return [[x + y for x, y in zip(ra, rb, strict=True)] for ra, rb in zip(a, b, strict=True)]


def calibration_name(confusion: ScorerConfusion) -> str:
    """`calibration #3` for a stored record, `shipped calibration` for the package's, then
    whose labels it rests on."""
    name = (
        f"calibration #{confusion.calibration_id}"
        if confusion.calibration_id is not None
        else "shipped calibration"
    )
    return f"{name}, {confusion.summary}" if confusion.summary else name


def evidence_confusion(evidence: RunEvidence, scorer: str) -> ScorerConfusion | None:
    """The calibration confusion matrix recorded for the run's version of `scorer`, if any."""
    return evidence.confusions.get(scorer)


def describe(
    interval: Interval, events: int, n: int, level: str, adjustments: Sequence[RateAdjustment]
) -> str:
    """`0.030 [0.010, 0.085] (3/100, 95% Wilson)`, naming how the interval was really made."""
    method = "Wilson"
    kinds = {a.kind: a for a in adjustments}
    if "cluster-bootstrap" in kinds:
        method = f"cluster bootstrap over {kinds['cluster-bootstrap'].n_clusters} clusters"
    if "rogan-gladen" in kinds:
        cal = kinds["rogan-gladen"].calibration_id
        name = f"calibration #{cal}" if cal is not None else "shipped calibration"
        method = f"{method}, Rogan–Gladen corrected for scorer error ({name})"
    observed = "observed " if "rogan-gladen" in kinds else ""
    return (
        f"{interval.point:.3f} [{interval.low:.3f}, {interval.high:.3f}] "
        f"({observed}{events}/{n}, {level} {method})"
    )


def more_cases(
    events: int, n: int, threshold: float, is_max: bool, confidence: float, min_samples: int
) -> AdditionalCasesResult | None:
    """Scored cases still needed to settle an insufficient-evidence verdict (principle 2).

    Assumes the observed rate persists (`stats.additional_cases_needed`), and never asks for
    fewer than the criterion's `min_samples`. For a `min` criterion the complement is tested.
    None when nothing was scored (plan with `safetyloop plan` instead) or the threshold is 0 or 1.
    """
    if n == 0 or not 0.0 < threshold < 1.0:
        return None
    k, t = (events, threshold) if is_max else (n - events, 1.0 - threshold)
    res = additional_cases_needed(k, n, t, confidence, SETTLE_POWER)
    short = max(0, min_samples - n)
    if res.additional is not None and res.additional < short:
        return AdditionalCasesResult(short, n + short, res.direction, res.power, res.assumed_rate)
    return res
