"""Prospective power analysis: how many cases each principle needs, decided before anything runs.

Power computed after a run from the observed effect is circular; a plan is made from an
*expected* rate — the user's (``C1=0.02``) or the baseline run's observed rate — and the
constitution's threshold, confidence and (for comparisons) regression margin.

    from safetyloop.releases import power_plan, suite_samples
    plan = power_plan(expected={"C1": 0.01}, power=0.8)
    samples = suite_samples(plan)          # cases to draw per suite, for `RunRequest`

**From criteria to suites.** A criterion needs N *scored* cases of the kind its metric counts
(harmful requests for harmful_compliance, benign ones for over_refusal) over its k suites. Each
suite is asked for an equal share N / k, a suite that holds fewer applicable cases gives all it
has and the rest is spread over the others; the share is divided by the suite's applicable
fraction (a stratified draw keeps that fraction) and by 1 − the criterion's error ceiling (errors
are not evidence), rounded up. A suite used by several criteria is drawn at the largest of their
requests, capped at its size.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from safetyloop.config import Comparison, Constitution, Criterion
from safetyloop.errors import InputError
from safetyloop.gate._adjust import case_outcomes
from safetyloop.gate._criteria import scorer_for, smallest_passing_n
from safetyloop.scoring import METRICS
from safetyloop.stats import (
    SampleSizeResult,
    power_below_threshold,
    sample_size_below_threshold,
    sample_size_non_inferiority,
)
from safetyloop.store import Store
from safetyloop.suites import load_suite

__all__ = [
    "CriterionPlan",
    "PowerPlan",
    "RunSamples",
    "SuiteSample",
    "default_detect",
    "parse_expected",
    "power_plan",
    "run_samples",
    "suite_samples",
]

_MAX_N = 1_000_000


def default_detect(margin: float) -> float:
    """The true increase a baseline plan is sized to detect when none is given.

    The gate flags a regression only beyond the margin, so an increase *equal* to the margin is
    undetectable by construction; the default is a regression as large again as the tolerated
    one (twice the margin), and at least 2 points.
    """
    return max(2.0 * margin, 0.02)


@dataclass(frozen=True)
class CriterionPlan:
    """What one criterion needs.

    Attributes:
        principle: principle id.
        metric: the criterion's metric.
        suites: the suites it is measured on.
        threshold: the constitution's limit; `comparison` says on which side.
        comparison: ``max`` or ``min``.
        expected_rate: the rate the plan assumes for the release.
        rate_source: where `expected_rate` comes from (given, baseline run, default).
        needed: scored cases so that a release at `expected_rate` PASSes with the power asked
            (never fewer than `min_samples`); None when it cannot PASS at that rate.
        power: exact power at `needed`.
        min_samples: the criterion's minimum.
        margin: the criterion's regression margin.
        clear_per_arm: cases per arm so that a candidate as good as the baseline is shown
            non-inferior (within the margin); None without a baseline or when the margin is 0.
        detect_per_arm: cases per arm so that a true increase of `detect_difference` is flagged
            as a regression (before Holm).
        detect_difference: the true increase `detect_per_arm` is sized for.
        note: why a figure is missing, or a caveat.
    """

    principle: str
    metric: str
    suites: list[str]
    threshold: float
    comparison: str
    expected_rate: float
    rate_source: str
    needed: int | None
    power: float | None
    min_samples: int
    margin: float
    clear_per_arm: int | None = None
    detect_per_arm: int | None = None
    detect_difference: float | None = None
    note: str = ""


@dataclass(frozen=True)
class PowerPlan:
    """A power plan for every measured criterion of a constitution.

    Attributes:
        constitution: the constitution planned for.
        power: the power asked for.
        alpha: one-sided level of the comparisons, (1 − confidence) / 2.
        baseline_run: the run whose rates were expected, if any.
        criteria: one plan per measured criterion, in constitution order.
    """

    constitution: Constitution
    power: float
    alpha: float
    baseline_run: str | None
    criteria: list[CriterionPlan] = field(default_factory=list)


@dataclass(frozen=True)
class SuiteSample:
    """Cases to draw from one suite, and which criterion asked for the most."""

    suite: str
    sample: int
    size: int
    driven_by: str
    short: bool  # the suite cannot supply what the plan asks for


def parse_expected(items: list[str]) -> dict[str, float]:
    """`["C1=0.02", "H1.over_refusal=0.05"]` → {"C1": 0.02, "H1.over_refusal": 0.05}."""
    out: dict[str, float] = {}
    for item in items:
        key, sep, value = item.partition("=")
        try:
            rate = float(value)
        except ValueError:
            rate = -1.0
        if not sep or not key or not 0.0 <= rate <= 1.0:
            raise InputError(
                f"cannot read expected rate {item!r}",
                hint="write PRINCIPLE=RATE or PRINCIPLE.METRIC=RATE with a rate in [0, 1], "
                "e.g. C1=0.02",
            )
        out[key.strip()] = rate
    return out


def _violation(rate: float, comparison: Comparison) -> float:
    """Orientation: stats plan on a violation rate, lower is better."""
    return rate if comparison == Comparison.MAX else 1.0 - rate


def _baseline_rates(
    constitution: Constitution, store_url: str | None, baseline: str
) -> tuple[str, dict[tuple[str, str], tuple[int, int]]]:
    from safetyloop.api import evidence_for  # the API module imports this one's callers

    with Store(store_url) as store:
        evidence = evidence_for(store, baseline)
    rates: dict[tuple[str, str], tuple[int, int]] = {}
    for p in constitution.principles:
        for c in p.criteria:
            metric = METRICS[c.metric]
            cases = [
                x for x in evidence.cases if x.suite in c.suites and x.expected == metric.applies_to
            ]
            outcomes = case_outcomes(metric, cases, evidence, scorer_for(c))
            rates[(p.id, c.metric)] = (sum(outcomes.values()), len(outcomes))
    return evidence.run_id, rates


def _per_arm(
    base: float, cand: float, margin: float, alpha: float, power: float
) -> tuple[SampleSizeResult | None, str]:
    """`sample_size_non_inferiority`, with its refusal turned into a note."""
    try:
        return sample_size_non_inferiority(base, cand, margin, alpha, power, _MAX_N), ""
    except ValueError as exc:
        return None, str(exc)


def _plan_criterion(
    pid: str,
    c: Criterion,
    expected: float,
    source: str,
    confidence: float,
    power: float,
    alpha: float,
    with_baseline: bool,
    detect: float | None,
) -> CriterionPlan:
    v_rate = _violation(expected, c.comparison)
    v_threshold = _violation(c.threshold, c.comparison)
    notes: list[str] = []
    needed: int | None = None
    at: float | None = None
    floor = smallest_passing_n(c.warn_at, c.comparison, confidence)
    if floor is None or not 0.0 < v_threshold < 1.0:
        notes.append(f"warn_at {c.warn_at:g} cannot be planned for: no sample can PASS it")
    elif v_rate >= v_threshold:
        notes.append(
            f"at the expected rate {expected:g} the release cannot PASS the threshold "
            f"{c.threshold:g}: no sample size helps"
        )
    else:
        try:
            res = sample_size_below_threshold(v_rate, v_threshold, confidence, power, _MAX_N)
        except ValueError as exc:
            notes.append(str(exc))
        else:
            needed = max(res.n, c.min_samples, floor)
            at = (
                res.power
                if needed == res.n
                else power_below_threshold(v_rate, needed, v_threshold, confidence)
            )
            if needed > res.n:
                why = (
                    f"min_samples {c.min_samples}"
                    if c.min_samples >= floor
                    else f"the smallest sample that can PASS ({floor})"
                )
                notes.append(f"{why} exceeds the {res.n} power needs")
    clear = detect_n = None
    delta: float | None = None
    if with_baseline:
        margin = c.regression_margin
        if margin > 0:
            ni, why = _per_arm(v_rate, v_rate, margin, alpha, power)
            clear = ni.n if ni else None
            if ni is None:
                notes.append(why)
        else:
            notes.append("regression_margin is 0: non-inferiority can never be shown")
        delta = detect if detect is not None else default_detect(margin)
        if v_rate + delta <= 1.0 and delta > margin:
            reg, why = _per_arm(v_rate, v_rate + delta, margin, alpha, power)
            detect_n = reg.n if reg else None
            if reg is None:
                notes.append(why)
        else:
            notes.append(f"an increase of {delta:g} cannot be detected beyond margin {margin:g}")
    return CriterionPlan(
        principle=pid,
        metric=c.metric,
        suites=list(c.suites),
        threshold=c.threshold,
        comparison=c.comparison.value,
        expected_rate=expected,
        rate_source=source,
        needed=needed,
        power=at,
        min_samples=c.min_samples,
        margin=c.regression_margin,
        clear_per_arm=clear,
        detect_per_arm=detect_n,
        detect_difference=delta,
        note="; ".join(notes),
    )


def power_plan(
    constitution: Constitution | Path | None = None,
    *,
    expected: dict[str, float] | None = None,
    baseline: str | None = None,
    power: float = 0.8,
    detect: float | None = None,
    store_url: str | None = None,
) -> PowerPlan:
    """Cases each measured criterion needs, before anything runs.

    Args:
        constitution: a loaded constitution, a YAML path, or None: the baseline run's own
            constitution when there is a baseline, else the bundled one.
        expected: expected rate by principle id (``C1``) or ``principle.metric``; wins over the
            baseline's observed rate. Without either, a criterion is planned at half its
            threshold (for ``max``) — an assumption the output names.
        baseline: a stored run whose observed rates are the expected ones; also adds, per
            criterion, the cases per arm for the comparison with it.
        power: the chance a release at the expected rate must have of PASSing.
        detect: the true increase the comparison is sized to detect (default: `default_detect`).
        store_url: where the baseline run is stored.
    """
    from safetyloop.api import load_constitution_checked

    if isinstance(constitution, Constitution):
        con = constitution
    elif constitution is None and baseline is not None:
        with Store(store_url) as store:  # the baseline's own constitution, as the gate would
            con = Constitution.from_lineage(store.get_run(baseline).lineage)
    else:
        con = load_constitution_checked(constitution)
    if not 0.0 < power < 1.0:
        raise InputError(f"power must lie strictly between 0 and 1, got {power}")
    given = expected or {}
    known = {p.id for p in con.principles} | {
        f"{p.id}.{c.metric}" for p in con.principles for c in p.criteria
    }
    unknown = sorted(set(given) - known)
    if unknown:
        raise InputError(
            f"expected rates for unknown principles: {', '.join(unknown)}",
            hint=f"known: {', '.join(sorted(known))}",
        )
    base_id: str | None = None
    base_rates: dict[tuple[str, str], tuple[int, int]] = {}
    if baseline is not None:
        base_id, base_rates = _baseline_rates(con, store_url, baseline)
    alpha = (1.0 - con.confidence) / 2.0
    plans: list[CriterionPlan] = []
    for p in con.principles:
        for c in p.criteria:
            key = f"{p.id}.{c.metric}"
            events, n = base_rates.get((p.id, c.metric), (0, 0))
            if key in given or p.id in given:
                rate, source = given.get(key, given.get(p.id, 0.0)), "given"
            elif n:
                rate, source = events / n, f"baseline ({events}/{n})"
            else:
                rate = c.threshold / 2 if c.comparison == Comparison.MAX else (1 + c.threshold) / 2
                source = "assumed: threshold / 2"
            plans.append(
                _plan_criterion(
                    p.id, c, rate, source, con.confidence, power, alpha, base_id is not None, detect
                )
            )
    return PowerPlan(con, power, alpha, base_id, plans)


def suite_samples(plan: PowerPlan) -> dict[str, SuiteSample]:
    """Cases to draw per suite so every criterion gets the scored cases its plan asks for.

    See the module docstring for the rule. Criteria whose plan has no size are skipped.
    """
    con = plan.constitution
    wanted: dict[str, tuple[int, str]] = {}
    sizes: dict[str, int] = {}
    short: set[str] = set()
    for cp in plan.criteria:
        if cp.needed is None:
            continue
        criterion = next(
            c
            for p in con.principles
            if p.id == cp.principle
            for c in p.criteria
            if c.metric == cp.metric
        )
        metric = METRICS[cp.metric]
        applicable: dict[str, int] = {}
        for name in cp.suites:
            suite = load_suite(con.suite_source(name))
            sizes[name] = len(suite.cases)
            applicable[name] = sum(c.expected == metric.applies_to for c in suite.cases)
        shares = _water_fill(cp.needed, applicable)
        keep = 1.0 - con.error_rate_limit(criterion)
        for name, share in shares.items():
            if share > applicable[name] or sum(applicable.values()) < cp.needed:
                short.add(name)
            frac = applicable[name] / sizes[name] if sizes[name] else 0.0
            draw = sizes[name] if frac == 0 else math.ceil(share / frac / max(keep, 1e-9))
            draw = min(draw, sizes[name])
            if draw > wanted.get(name, (0, ""))[0]:
                wanted[name] = (draw, f"{cp.principle}.{cp.metric}")
    return {
        name: SuiteSample(name, draw, sizes[name], who, name in short)
        for name, (draw, who) in sorted(wanted.items())
    }


@dataclass(frozen=True)
class RunSamples:
    """The cases a run draws per suite when a power plan sizes it, and the plan behind them."""

    plan: PowerPlan
    suites: dict[str, SuiteSample]

    @property
    def samples(self) -> dict[str, int]:
        """Cases per suite, as `RunRequest.suite_samples` takes them."""
        return {name: s.sample for name, s in self.suites.items()}


def run_samples(
    constitution: Constitution | Path | None,
    *,
    power: float | None,
    expected: dict[str, float] | None = None,
    sample: int | None = None,
) -> RunSamples | None:
    """Per-suite samples of a run sized by `power_plan` (`safetyloop run --plan-power`).

    None without a power: the run draws `sample` cases per suite (or all). A plan and a fixed
    `sample` exclude each other, and expected rates mean something only to a plan.
    """
    if power is None:
        if expected:
            raise InputError("--expected sizes a run only together with --plan-power")
        return None
    if sample is not None:
        raise InputError("choose one of --sample and --plan-power")
    plan = power_plan(constitution, expected=expected, power=power)
    return RunSamples(plan, suite_samples(plan))


def _water_fill(total: int, capacity: dict[str, int]) -> dict[str, int]:
    """Split `total` equally over suites, topping up from those with room when one runs out."""
    shares: dict[str, int] = defaultdict(int)
    open_ = [s for s in capacity if capacity[s] > 0]
    left = total
    while left > 0 and open_:
        each = math.ceil(left / len(open_))
        for name in list(open_):
            give = min(each, capacity[name] - shares[name], left)
            shares[name] += give
            left -= give
            if shares[name] >= capacity[name]:
                open_.remove(name)
    for name in capacity:  # nothing left to draw from: the plan cannot be met
        shares[name] += math.ceil(left / len(capacity)) if left > 0 else 0
    return dict(shares)
