"""Prospective power and sample size: decided before anything runs, never from the observed effect.

Every power figure here is exact: it sums the binomial distribution over the outcomes for which
the gate's own decision (Wilson upper bound under the threshold; Newcombe bound beyond the margin)
comes out one way, evaluated with the same kernels the gate calls. Normal approximations only
seed the search.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
from scipy import stats

from safetyloop.stats._compare import _check_alpha, _non_inferior_mask, _regression_mask
from safetyloop.stats._intervals import _check_confidence, _check_counts, _wilson_bounds, _z

IntArray = npt.NDArray[np.int64]

_DEFAULT_MAX_N = 10_000_000


@dataclass(frozen=True)
class SampleSizeResult:
    """Cases needed for a planned decision.

    Attributes:
        n: the recommended size (per arm for comparisons): it reaches the target power, and for
            single-rate plans every larger size up to the scanned horizon does too (exact binomial
            power saw-tooths with n, so a smaller lucky n is not a safe plan).
        power: exact power at `n`.
        target_power: the power asked for.
        first_n: the smallest size at which the exact power first reaches the target.
        normal_approximation: the normal-approximation size that seeded the search.
        method: which decision the power refers to.
    """

    n: int
    power: float
    target_power: float
    first_n: int
    normal_approximation: int
    method: str


@dataclass(frozen=True)
class AdditionalCasesResult:
    """How many more cases would settle an insufficient-evidence verdict.

    Attributes:
        additional: extra cases needed (0 if already settled; None if the observed rate equals
            the threshold or the horizon was reached, so no sample size settles it).
        total: n + additional (None with `additional`).
        direction: ``"pass"`` when more data would show the rate below the threshold,
            ``"fail"`` when it would show it above, None when it cannot be settled.
        power: probability that the extra cases settle it, under the assumed rate.
        assumed_rate: the rate the extra cases are assumed to have (the observed rate).
    """

    additional: int | None
    total: int | None
    direction: Literal["pass", "fail"] | None
    power: float
    assumed_rate: float


@dataclass(frozen=True)
class ComparisonPower:
    """Exact probabilities of the two decisions of an unpaired comparison at true rates.

    Attributes:
        regression: P(the gate flags a regression beyond the margin).
        non_inferior: P(the gate shows non-inferiority).
    """

    regression: float
    non_inferior: float


def _check_rate(rate: float, name: str) -> None:
    if not 0.0 <= rate <= 1.0:
        raise ValueError(f"{name} must lie in [0, 1], got {rate}")


def _check_power(power: float) -> None:
    if not 0.0 < power < 1.0:
        raise ValueError(f"power must lie strictly between 0 and 1, got {power}")


def _pass_kmax(n: IntArray, threshold: float, z: float) -> IntArray:
    """Largest violation count whose Wilson upper bound is below `threshold` (−1 if none).

    Wilson inverts the score test, so upper(k, n) < t iff k < n·t − z·sqrt(n·t·(1 − t)); the
    closed form is then checked against the Wilson kernel itself to absorb rounding.
    """
    nf = n.astype(np.float64)
    k = np.ceil(nf * threshold - z * np.sqrt(nf * threshold * (1.0 - threshold))) - 1.0
    k = np.clip(k, -1.0, nf).astype(np.int64)
    for _ in range(3):
        up = k + 1 <= n
        _, high_next = _wilson_bounds(np.minimum(k + 1, n), n, z)
        k = np.where(up & (high_next < threshold), k + 1, k)
        _, high = _wilson_bounds(np.maximum(k, 0), n, z)
        k = np.where((k >= 0) & (high >= threshold), k - 1, k)
    return k.astype(np.int64)


def _fail_kmin(n: IntArray, threshold: float, z: float) -> IntArray:
    """Smallest violation count whose Wilson lower bound is above `threshold` (n + 1 if none)."""
    nf = n.astype(np.float64)
    k = np.floor(nf * threshold + z * np.sqrt(nf * threshold * (1.0 - threshold))) + 1.0
    k = np.clip(k, 0.0, nf + 1.0).astype(np.int64)
    for _ in range(3):
        low_prev, _ = _wilson_bounds(np.maximum(k - 1, 0), n, z)
        k = np.where((k - 1 >= 0) & (low_prev > threshold), k - 1, k)
        low, _ = _wilson_bounds(np.minimum(k, n), n, z)
        k = np.where((k <= n) & (low <= threshold), k + 1, k)
    return k.astype(np.int64)


def power_below_threshold(
    true_rate: float, n: int, threshold: float, confidence: float = 0.95
) -> float:
    """Exact probability that n cases at `true_rate` give a Wilson upper bound under `threshold`.

    This is the chance that a release whose true rate is `true_rate` PASSes the threshold rule.
    """
    _check_rate(true_rate, "true_rate")
    _check_threshold(threshold)
    _check_confidence(confidence)
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    kmax = _pass_kmax(np.array([n], dtype=np.int64), threshold, _z(confidence))
    return float(stats.binom.cdf(kmax[0], n, true_rate))


def _check_threshold(threshold: float) -> None:
    if not 0.0 < threshold < 1.0:
        raise ValueError(f"threshold must lie strictly between 0 and 1, got {threshold}")


def _robust_first(ok: npt.NDArray[np.bool_]) -> int | None:
    """Index from which `ok` holds through the end of the window (None if the tail fails)."""
    if ok.size == 0 or not ok[-max(1, ok.size // 10) :].all():
        return None
    bad = np.flatnonzero(~ok)
    return int(bad[-1]) + 1 if bad.size else 0


def sample_size_below_threshold(
    expected_rate: float,
    threshold: float,
    confidence: float = 0.95,
    power: float = 0.8,
    max_n: int = _DEFAULT_MAX_N,
) -> SampleSizeResult:
    """Cases a principle needs so that a release at `expected_rate` PASSes with `power`.

    PASS means the Wilson upper bound at `confidence` is under `threshold`. The power at each
    candidate n is summed exactly over the binomial outcomes; every n up to a horizon is scanned
    (the closed-form pass count makes a scan cost one vector pass).

    Raises:
        ValueError: if `expected_rate` >= `threshold` (no sample size can show what is not
            true) or the size exceeds `max_n`.
    """
    _check_rate(expected_rate, "expected_rate")
    _check_threshold(threshold)
    _check_confidence(confidence)
    _check_power(power)
    if expected_rate >= threshold:
        raise ValueError(
            f"expected rate {expected_rate} is not below the threshold {threshold}: no sample "
            "size can show the rate is under it"
        )
    z = _z(confidence)
    z_beta = float(stats.norm.ppf(power))
    sd_t = math.sqrt(threshold * (1.0 - threshold))
    sd_p = math.sqrt(expected_rate * (1.0 - expected_rate))
    n0 = math.ceil(((z * sd_t + z_beta * sd_p) / (threshold - expected_rate)) ** 2)
    horizon = max(200, 2 * n0 + 100)
    while True:
        ns = np.arange(1, horizon + 1, dtype=np.int64)
        pw = stats.binom.cdf(_pass_kmax(ns, threshold, z), ns, expected_rate)
        ok = pw >= power
        start = _robust_first(ok)
        if start is not None:
            first = int(np.argmax(ok))
            return SampleSizeResult(
                n=int(ns[start]),
                power=float(pw[start]),
                target_power=power,
                first_n=int(ns[first]),
                normal_approximation=n0,
                method="wilson-upper-below-threshold",
            )
        if horizon >= max_n:
            raise ValueError(f"more than max_n={max_n} cases would be needed")
        horizon = min(max_n, horizon * 2)


def additional_cases_needed(
    events: int,
    n: int,
    threshold: float,
    confidence: float = 0.95,
    power: float = 0.8,
    max_additional: int = _DEFAULT_MAX_N,
) -> AdditionalCasesResult:
    """How many more cases would settle a verdict whose interval straddles the threshold.

    Assumes the observed rate events / n persists in the extra cases, the only rate the data
    offer (an assumption, not a guarantee: with 0 observed events it is optimistic). The
    events already seen are kept: the answer is the smallest m such that, with probability
    >= `power`, the pooled n + m cases put the Wilson interval wholly below (observed rate under
    the threshold) or wholly above (observed rate over it) the threshold, and so does every
    larger m up to the scanned horizon.
    """
    _check_counts(events, n)
    _check_threshold(threshold)
    _check_confidence(confidence)
    _check_power(power)
    if n == 0:
        raise ValueError("no cases observed yet: plan with sample_size_below_threshold instead")
    z = _z(confidence)
    p_hat = events / n
    low, high = _wilson_bounds(events, n, z)
    if float(high) < threshold:
        return AdditionalCasesResult(0, n, "pass", 1.0, p_hat)
    if float(low) > threshold:
        return AdditionalCasesResult(0, n, "fail", 1.0, p_hat)
    if p_hat == threshold:
        return AdditionalCasesResult(None, None, None, 0.0, p_hat)
    direction: Literal["pass", "fail"] = "pass" if p_hat < threshold else "fail"
    horizon = 1000
    while True:
        m = np.arange(1, horizon + 1, dtype=np.int64)
        total = n + m
        if direction == "pass":
            pw = stats.binom.cdf(_pass_kmax(total, threshold, z) - events, m, p_hat)
        else:
            pw = stats.binom.sf(_fail_kmin(total, threshold, z) - events - 1, m, p_hat)
        start = _robust_first(pw >= power)
        if start is not None:
            extra = int(m[start])
            return AdditionalCasesResult(extra, n + extra, direction, float(pw[start]), p_hat)
        if horizon >= max_additional:
            return AdditionalCasesResult(None, None, None, float(pw[-1]), p_hat)
        horizon = min(max_additional, horizon * 4)


def _support(n: int, p: float) -> IntArray:
    """Binomial outcomes holding all but a negligible (< 1e-15) share of the mass."""
    sd = math.sqrt(n * p * (1.0 - p))
    lo = max(0, math.floor(n * p - 9.0 * sd - 3))
    hi = min(n, math.ceil(n * p + 9.0 * sd + 3))
    return np.arange(lo, hi + 1, dtype=np.int64)


def power_non_inferiority(
    baseline_rate: float,
    candidate_rate: float,
    n_per_arm: int,
    margin: float = 0.0,
    alpha: float = 0.05,
) -> ComparisonPower:
    """Exact probabilities of the unpaired comparison's decisions at given true rates.

    Sums the product of the two binomial distributions over the outcome grid, deciding each cell
    with the same Newcombe rule as `non_inferiority` (one-sided `alpha`, `margin`).
    """
    _check_rate(baseline_rate, "baseline_rate")
    _check_rate(candidate_rate, "candidate_rate")
    _check_alpha(alpha)
    if n_per_arm < 1:
        raise ValueError(f"n_per_arm must be >= 1, got {n_per_arm}")
    kc = _support(n_per_arm, candidate_rate)
    kb = _support(n_per_arm, baseline_rate)
    wc = stats.binom.pmf(kc, n_per_arm, candidate_rate)
    wb = stats.binom.pmf(kb, n_per_arm, baseline_rate)
    ec = kc[:, None].astype(np.float64)
    eb = kb[None, :].astype(np.float64)
    n_f = float(n_per_arm)
    reg = _regression_mask(ec, n_f, eb, n_f, margin, alpha)
    ni = _non_inferior_mask(ec, n_f, eb, n_f, margin, alpha)
    return ComparisonPower(
        regression=float(wc @ reg @ wb),
        non_inferior=float(wc @ ni @ wb),
    )


def sample_size_non_inferiority(
    baseline_rate: float,
    candidate_rate: float,
    margin: float = 0.0,
    alpha: float = 0.05,
    power: float = 0.8,
    max_n: int = _DEFAULT_MAX_N,
) -> SampleSizeResult:
    """Cases per arm so an unpaired comparison settles on the right side of the margin.

    If the planted difference candidate − baseline exceeds `margin` (a regression), this is the
    size at which the gate flags the regression with probability `power`; if it is below the
    margin, the size at which non-inferiority is shown with that power. Exact power is
    evaluated with `power_non_inferiority`; the search brackets from the normal approximation
    and bisects, returning an n whose exact power reaches the target. A paired design on the same
    cases needs no more than this when outcomes correlate positively, as they usually do.

    Raises:
        ValueError: if the planted difference equals the margin or the size exceeds `max_n`.
    """
    _check_rate(baseline_rate, "baseline_rate")
    _check_rate(candidate_rate, "candidate_rate")
    _check_alpha(alpha)
    _check_power(power)
    if not 0.0 <= margin < 1.0:
        raise ValueError(f"margin must lie in [0, 1), got {margin}")
    gap = candidate_rate - baseline_rate - margin
    if gap == 0.0:
        raise ValueError("the planted difference equals the margin: no sample size settles it")
    detect_regression = gap > 0

    def exact(n: int) -> float:
        res = power_non_inferiority(baseline_rate, candidate_rate, n, margin, alpha)
        return res.regression if detect_regression else res.non_inferior

    z_a = float(stats.norm.ppf(1.0 - alpha))
    z_b = float(stats.norm.ppf(power))
    var = candidate_rate * (1 - candidate_rate) + baseline_rate * (1 - baseline_rate)
    n0 = max(1, math.ceil((z_a + z_b) ** 2 * max(var, 1e-12) / gap**2))
    hi = max(2, n0)
    while exact(hi) < power:
        if hi >= max_n:
            raise ValueError(f"more than max_n={max_n} cases per arm would be needed")
        hi = min(max_n, hi * 2)
    lo = 0  # invariant: exact(lo) < power (n = 0 decides nothing), exact(hi) >= power
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if exact(mid) >= power:
            hi = mid
        else:
            lo = mid
    return SampleSizeResult(
        n=hi,
        power=exact(hi),
        target_power=power,
        first_n=hi,
        normal_approximation=n0,
        method="newcombe-regression" if detect_regression else "newcombe-non-inferiority",
    )
