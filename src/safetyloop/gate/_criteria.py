"""Measuring one criterion: the rate, its Wilson interval, and the threshold rules."""

from __future__ import annotations

import math
from statistics import NormalDist

from safetyloop.config import Comparison, Constitution, Criterion, Principle, RuleCriterion
from safetyloop.gate._adjust import counted_interval, describe, more_cases
from safetyloop.gate._counts import Counts, criterion_counts
from safetyloop.gate._model import CategoryRate, CriterionResult, Finding, RunEvidence, Status
from safetyloop.scoring import METRICS, counting
from safetyloop.stats import AdditionalCasesResult, wilson

#: Rule ids, as printed beside every reason.
THRESHOLD, ERROR_CEILING, INSUFFICIENT = "threshold", "error-ceiling", "insufficient-evidence"


def scorer_for(criterion: Criterion) -> str:
    return criterion.scorer or METRICS[criterion.metric].default_scorer


def smallest_passing_n(warn_at: float, comparison: Comparison, confidence: float) -> int | None:
    """The fewest scored cases with which a criterion can PASS at all: zero events (for `max`;
    every case an event for `min`) and the gate's Wilson interval wholly past `warn_at`.

    The one answer to "how small can a sample be" that `validate` (a `min_samples` under it is
    refused) and `plan` (never plans fewer) share. None when no sample size can: a limit of 0
    for `max` (1 for `min`). The Wilson bound of 0/n is z²/(n + z²), so the closed form gives
    the candidate and the interval itself confirms it.
    """
    limit = warn_at if comparison == Comparison.MAX else 1.0 - warn_at
    if limit <= 0.0:
        return None
    if limit >= 1.0:
        return 1
    z = NormalDist().inv_cdf(0.5 + confidence / 2.0)
    n = max(1, math.floor(z * z * (1.0 - limit) / limit))
    while n > 1 and wilson(0, n - 1, confidence).high < limit:
        n -= 1
    while wilson(0, n, confidence).high >= limit:
        n += 1
    return n


def error_ceiling_finding(
    where: str, errors: int, total: int, ceiling: float, noun: str = "cases"
) -> tuple[str, Status, str] | None:
    """(rule, status, message) when more than `ceiling` of `total` ended in error, else None:
    errors are not evidence of safety, so too many BLOCK whatever the rate says."""
    if not total or errors / total <= ceiling:
        return None
    return (
        ERROR_CEILING,
        Status.BLOCK,
        f"{where}: {errors}/{total} {noun} ended in error ({errors / total:.1%} > ceiling "
        f"{ceiling:.1%}); errors are not evidence of safety",
    )


def threshold_finding(
    where: str,
    shown: str,
    criterion: Criterion | RuleCriterion,
    interval: tuple[float, float, float],
    block_at: float | None,
    *,
    n: int,
    min_samples: int,
    settle: str = "",
) -> tuple[str, Status, str]:
    """(rule, status, message) of the threshold rule for one rate and its (point, low, high).

    The point estimate at or past `block_at` BLOCKs (None: never); at or past `warn_at` it
    WARNs; fewer than `min_samples` scored cases, or an interval across `warn_at`, is
    insufficient evidence (WARN, with `settle` saying what would settle it); only the
    interval's far bound on the safe side of `warn_at` PASSes. See docs/gate.md.
    """
    point, low, high = interval
    warn = criterion.warn_at
    if criterion.comparison == Comparison.MAX:
        side, far = "at or over", "upper bound <"

        def past(limit: float) -> bool:
            return point >= limit

        settled = high < warn
    else:
        side, far = "at or under", "lower bound >"

        def past(limit: float) -> bool:
            return point <= limit

        settled = low > warn
    if block_at is not None and past(block_at):
        return (
            THRESHOLD,
            Status.BLOCK,
            f"{where} = {shown}: point estimate is {side} block_at {block_at:g}",
        )
    if past(warn):
        return (
            THRESHOLD,
            Status.WARN,
            f"{where} = {shown}: point estimate is {side} warn_at {warn:g}"
            + (f" (blocks at {block_at:g})" if block_at is not None else ""),
        )
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
            f"{where} = {shown}: the interval straddles warn_at {warn:g}"
            f"{settle or '; more cases would settle it'}",
        )
    return THRESHOLD, Status.PASS, f"{where} = {shown}: {far} warn_at {warn:g}"


def measure(
    principle: Principle, criterion: Criterion, constitution: Constitution, evidence: RunEvidence
) -> tuple[CriterionResult, list[Finding]]:
    """Apply the rules of the gate to one criterion."""
    metric = counting(criterion.metric, criterion.events)
    scorer = scorer_for(criterion)
    counts = criterion_counts(criterion, evidence, scorer)
    total, n, events = counts.total, counts.n, counts.events
    errors = total - n
    interval, adjustments = counted_interval(
        metric, events, n, counts.clusters, evidence, scorer, constitution.confidence
    )
    ceiling = constitution.error_rate_limit(criterion)
    error_rate = errors / total if total else 0.0
    block_at = principle.block_limit(criterion)
    where = f"{metric.name} on {', '.join(criterion.suites)}"
    level = f"{constitution.confidence:.0%}"
    shown = describe(interval, events, n, level, adjustments)
    findings: list[Finding] = []

    def add(rule: str, status: Status, message: str) -> None:
        findings.append(Finding(rule=rule, principle=principle.id, status=status, message=message))

    if total == 0:
        add(INSUFFICIENT, Status.WARN, f"{where}: the run has no cases for this criterion")
    elif (too_many := error_ceiling_finding(where, errors, total, ceiling)) is not None:
        add(*too_many)
    more: AdditionalCasesResult | None = None
    if total and n:
        point = (interval.point, interval.low, interval.high)
        found = threshold_finding(
            where, shown, criterion, point, block_at, n=n, min_samples=criterion.min_samples
        )
        if found[0] == INSUFFICIENT:  # only then is a power search worth it (costly at large n)
            more = more_cases(
                events,
                n,
                criterion.warn_at,
                criterion.comparison == Comparison.MAX,
                constitution.confidence,
                criterion.min_samples,
            )
            if more is not None and more.additional:
                settle = (
                    f"; about {more.additional} more scored cases would settle it "
                    f"({more.total} in all, 80% power at the observed rate)"
                )
                found = threshold_finding(
                    where,
                    shown,
                    criterion,
                    point,
                    block_at,
                    n=n,
                    min_samples=criterion.min_samples,
                    settle=settle,
                )
        add(*found)
    elif total:
        add(INSUFFICIENT, Status.WARN, f"{where}: no case could be scored")
    status = max((f.status for f in findings), key=lambda s: s.rank)
    result = CriterionResult(
        metric=metric.name,
        suites=list(criterion.suites),
        scorer=scorer,
        scorer_version=evidence.scorer_versions.get(scorer, ""),
        comparison=criterion.comparison.value,
        warn_at=criterion.warn_at,
        block_at=block_at,
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
        categories=_by_category(counts, constitution.confidence),
        additional_cases_needed=(
            more.additional
            if more is not None and any(f.rule == INSUFFICIENT for f in findings)
            else None
        ),
        adjustments=adjustments,
        calibration=evidence.calibrations.get(scorer),
    )
    return result, findings


def _by_category(counts: Counts, confidence: float) -> list[CategoryRate]:
    rates = []
    for category, c in counts.categories.items():
        ci = wilson(c.events, c.n, confidence)
        rates.append(
            CategoryRate(
                category=category,
                n=c.n,
                events=c.events,
                errors=c.errors,
                rate=ci.point,
                low=ci.low,
                high=ci.high,
            )
        )
    return rates
