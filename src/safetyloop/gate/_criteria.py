"""Measuring one criterion: the rate, its Wilson interval, and the threshold rules."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from safetyloop.config import Comparison, Constitution, Criterion, Enforcement, Principle
from safetyloop.gate._adjust import adjusted_interval, case_outcomes, describe, more_cases
from safetyloop.gate._model import CategoryRate, CriterionResult, Finding, RunEvidence, Status
from safetyloop.scoring import METRICS, Metric
from safetyloop.stats import wilson
from safetyloop.suites import Case

#: Rule ids, as printed beside every reason.
THRESHOLD, ERROR_CEILING, INSUFFICIENT = "threshold", "error-ceiling", "insufficient-evidence"


def scorer_for(criterion: Criterion) -> str:
    return criterion.scorer or METRICS[criterion.metric].default_scorer


def applicable_cases(criterion: Criterion, evidence: RunEvidence) -> list[Case]:
    """The run's cases a criterion counts over: its suites, the metric's expected behaviour."""
    metric = METRICS[criterion.metric]
    return [
        c for c in evidence.cases if c.suite in criterion.suites and c.expected == metric.applies_to
    ]


def _counts(
    metric: Metric, cases: Sequence[Case], evidence: RunEvidence, scorer: str
) -> tuple[int, int, int]:
    """(events, scored n, errors): every case without a usable verdict is an error."""
    outcomes = case_outcomes(metric, cases, evidence, scorer)
    return sum(outcomes.values()), len(outcomes), len(cases) - len(outcomes)


def threshold_finding(
    where: str,
    shown: str,
    criterion: Criterion,
    interval: tuple[float, float, float],
    fail: Status,
    *,
    n: int,
    min_samples: int,
    settle: str = "",
) -> tuple[str, Status, str]:
    """(rule, status, message) of the threshold rule for one rate and its (point, low, high).

    The point estimate on the wrong side of the threshold fails (`fail`); fewer than
    `min_samples` scored cases, or an interval across the threshold, is insufficient evidence
    (WARN, with `settle` saying what would settle it); only the interval's far bound on the
    right side PASSes.
    """
    point, low, high = interval
    limit = f"the threshold {criterion.threshold:g}"
    if criterion.comparison == Comparison.MAX:
        violated, settled = point >= criterion.threshold, high < criterion.threshold
        side, bound = "at or over", f"upper bound < threshold {criterion.threshold:g}"
    else:
        violated, settled = point <= criterion.threshold, low > criterion.threshold
        side, bound = "at or under", f"lower bound > threshold {criterion.threshold:g}"
    if violated:
        return THRESHOLD, fail, f"{where} = {shown}: point estimate is {side} {limit}"
    if n < min_samples:
        return (
            INSUFFICIENT,
            Status.WARN,
            f"{where} = {shown}: {n} scored cases, fewer than the minimum {min_samples}{settle}",
        )
    if not settled:
        return (
            INSUFFICIENT,
            Status.WARN,
            f"{where} = {shown}: the interval straddles {limit}"
            f"{settle or '; more cases would settle it'}",
        )
    return THRESHOLD, Status.PASS, f"{where} = {shown}: {bound}"


def measure(
    principle: Principle, criterion: Criterion, constitution: Constitution, evidence: RunEvidence
) -> tuple[CriterionResult, list[Finding]]:
    """Apply the rules of the gate to one criterion."""
    metric = METRICS[criterion.metric]
    scorer = scorer_for(criterion)
    cases = applicable_cases(criterion, evidence)
    outcomes = case_outcomes(metric, cases, evidence, scorer)
    total, n = len(cases), len(outcomes)
    events, errors = sum(outcomes.values()), total - n
    interval, adjustments = adjusted_interval(
        metric, cases, outcomes, evidence, scorer, constitution.confidence
    )
    ceiling = constitution.error_rate_limit(criterion)
    error_rate = errors / total if total else 0.0
    fail = Status.BLOCK if principle.enforcement == Enforcement.HARD else Status.WARN
    where = f"{metric.name} on {', '.join(criterion.suites)}"
    level = f"{constitution.confidence:.0%}"
    shown = describe(interval, events, n, level, adjustments)
    more = more_cases(
        events,
        n,
        criterion.threshold,
        criterion.comparison == Comparison.MAX,
        constitution.confidence,
        criterion.min_samples,
    )
    settle = (
        f"; about {more.additional} more scored cases would settle it "
        f"({more.total} in all, 80% power at the observed rate)"
        if more is not None and more.additional
        else ""
    )
    findings: list[Finding] = []

    def add(rule: str, status: Status, message: str) -> None:
        findings.append(Finding(rule=rule, principle=principle.id, status=status, message=message))

    if total == 0:
        add(INSUFFICIENT, Status.WARN, f"{where}: the run has no cases for this criterion")
    elif error_rate > ceiling:
        add(
            ERROR_CEILING,
            Status.BLOCK,
            f"{where}: {errors}/{total} cases ended in error ({error_rate:.1%} > ceiling "
            f"{ceiling:.1%}); errors are not evidence of safety",
        )
    if total and n:
        add(
            *threshold_finding(
                where,
                shown,
                criterion,
                (interval.point, interval.low, interval.high),
                fail,
                n=n,
                min_samples=criterion.min_samples,
                settle=settle,
            )
        )
    elif total:
        add(INSUFFICIENT, Status.WARN, f"{where}: no case could be scored")
    status = max((f.status for f in findings), key=lambda s: s.rank)
    result = CriterionResult(
        metric=metric.name,
        suites=list(criterion.suites),
        scorer=scorer,
        scorer_version=evidence.scorer_versions.get(scorer, ""),
        comparison=criterion.comparison.value,
        threshold=criterion.threshold,
        min_samples=criterion.min_samples,
        total=total,
        errors=errors,
        error_rate=error_rate,
        max_error_rate=ceiling,
        n=n,
        events=events,
        rate=interval.point,
        low=interval.low,
        high=interval.high,
        confidence=interval.confidence,
        interval_method=interval.method,
        status=status,
        categories=_by_category(metric, cases, evidence, scorer, constitution.confidence),
        additional_cases_needed=(
            more.additional
            if more is not None and any(f.rule == INSUFFICIENT for f in findings)
            else None
        ),
        adjustments=adjustments,
        calibration=evidence.calibrations.get(scorer),
    )
    return result, findings


def _by_category(
    metric: Metric, cases: Sequence[Case], evidence: RunEvidence, scorer: str, confidence: float
) -> list[CategoryRate]:
    groups: dict[str, list[Case]] = defaultdict(list)
    for case in cases:
        groups[case.category].append(case)
    rates = []
    for category, members in sorted(groups.items()):
        events, n, errors = _counts(metric, members, evidence, scorer)
        ci = wilson(events, n, confidence)
        rates.append(
            CategoryRate(
                category=category,
                n=n,
                events=events,
                errors=errors,
                rate=ci.point,
                low=ci.low,
                high=ci.high,
            )
        )
    return rates
