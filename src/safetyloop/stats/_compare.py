"""Hypothesis tests on violation rates: against a threshold, and candidate against baseline.

Orientation, everywhere in this module: the metric is a *violation* rate, lower is better.
The difference is ``d = candidate − baseline``; a *regression* beyond the margin means
``d > margin``; *non-inferiority* means ``d < margin`` (the candidate is at most `margin` worse).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, stats

from safetyloop.stats._intervals import (
    ArrayLike,
    FloatArray,
    Interval,
    _check_counts,
    _newcombe_bounds,
    _tango_statistic,
    _z,
    clopper_pearson,
    newcombe_difference,
    paired_difference,
)


@dataclass(frozen=True)
class McNemarResult:
    """Exact McNemar test on the discordant pairs of a paired comparison.

    Attributes:
        b: pairs where only the candidate violates.
        c: pairs where only the baseline violates.
        p_two_sided: exact two-sided p-value (H0: b and c equally likely).
        p_candidate_worse: one-sided p-value for "the candidate violates more often" (b > c).
        p_candidate_better: one-sided p-value for "the candidate violates less often" (b < c).
    """

    b: int
    c: int
    p_two_sided: float
    p_candidate_worse: float
    p_candidate_better: float


def mcnemar_exact(b: int, c: int) -> McNemarResult:
    """Exact (conditional binomial) McNemar test; only discordant pairs carry information.

    Given b + c discordant pairs, b ~ Binomial(b + c, 1/2) under H0. With no discordant pairs
    every p-value is 1: there is no evidence either way.
    """
    if b < 0 or c < 0:
        raise ValueError(f"need b, c >= 0, got b={b}, c={c}")
    m = b + c
    if m == 0:
        return McNemarResult(b, c, 1.0, 1.0, 1.0)
    two = min(1.0, 2.0 * float(stats.binom.cdf(min(b, c), m, 0.5)))
    worse = float(stats.binom.sf(b - 1, m, 0.5))
    better = float(stats.binom.cdf(b, m, 0.5))
    return McNemarResult(b, c, two, worse, better)


@dataclass(frozen=True)
class BelowThresholdResult:
    """One-sided exact binomial test that a violation rate lies below a threshold.

    Attributes:
        events: observed violations.
        n: cases scored.
        threshold: the constitution's ceiling on the rate.
        alpha: one-sided significance level.
        p_value: P(X <= events) when the true rate equals `threshold` (H0: rate >= threshold).
        upper_bound: one-sided Clopper–Pearson upper bound at 1 − alpha (below threshold iff
            p_value < alpha, by duality).
        below: whether the evidence shows the rate is below the threshold.
    """

    events: int
    n: int
    threshold: float
    alpha: float
    p_value: float
    upper_bound: float
    below: bool


def rate_below_threshold(
    events: int, n: int, threshold: float, alpha: float = 0.05
) -> BelowThresholdResult:
    """Exact one-sided binomial test of H0: rate >= threshold against H1: rate < threshold.

    Passing requires evidence, not a low point estimate: with n == 0 the p-value is 1.
    """
    _check_counts(events, n)
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"threshold must lie in (0, 1], got {threshold}")
    _check_alpha(alpha)
    p = float(stats.binom.cdf(events, n, threshold)) if n else 1.0
    upper = clopper_pearson(events, n, 1.0 - 2.0 * alpha).high if n else 1.0
    return BelowThresholdResult(events, n, threshold, alpha, p, upper, p < alpha)


@dataclass(frozen=True)
class NonInferiorityResult:
    """Candidate-versus-baseline comparison of violation rates with a margin.

    Attributes:
        difference: candidate − baseline with its two-sided (1 − 2·alpha) interval, so each side
            is a one-sided test at `alpha`.
        margin: largest tolerated increase in the violation rate (>= 0).
        alpha: one-sided significance level of each decision.
        paired: whether the paired (Tango score) or unpaired (Newcombe) interval was used.
        non_inferior: the upper bound is below the margin — shown to be no worse than allowed.
        regression: the lower bound is above the margin — a significant regression beyond it.
            Neither being true means the comparison is inconclusive (underpowered).
        p_regression: one-sided p-value of H0: d <= margin (small = evidence of regression);
            feed these to `holm` across a family of comparisons.
        p_non_inferiority: one-sided p-value of H0: d >= margin (small = non-inferiority shown).
        mcnemar: the exact McNemar test on the discordant pairs (paired data only), a
            margin-free cross-check.
    """

    difference: Interval
    margin: float
    alpha: float
    paired: bool
    non_inferior: bool
    regression: bool
    p_regression: float
    p_non_inferiority: float
    mcnemar: McNemarResult | None


def _check_alpha(alpha: float) -> None:
    if not 0.0 < alpha < 0.5:
        raise ValueError(f"alpha must lie strictly between 0 and 0.5, got {alpha}")


def _one_sided_z(alpha: float) -> float:
    """Per-side critical value of the (1 − 2·alpha) interval, exactly as `non_inferiority`."""
    return _z(1.0 - 2.0 * alpha)


def _decide(low: FloatArray, high: FloatArray, margin: float) -> tuple[FloatArray, FloatArray]:
    """The gate's decision rule on a difference interval: (non_inferior, regression) masks."""
    return np.asarray(high < margin, dtype=np.float64), np.asarray(low > margin, dtype=np.float64)


def _newcombe_p_regression(e1: int, n1: int, e2: int, n2: int, margin: float) -> float:
    """P-value of H0: d <= margin by inverting the Newcombe interval in its critical value.

    Newcombe's bounds widen monotonically with z, so the z at which the bound touches the margin
    is unique; the p-value is the one-sided normal tail of that z.
    """
    d, _, _ = _newcombe_bounds(e1, n1, e2, n2, 0.0)
    point = float(d)
    if point == margin:
        return 0.5

    def bound_minus_margin(z: float) -> float:
        _, low, high = _newcombe_bounds(e1, n1, e2, n2, z)
        return float(low if point > margin else high) - margin

    z_max = 40.0
    if (bound_minus_margin(z_max) > 0) == (point > margin):
        z_star = z_max
    else:
        z_star = float(optimize.brentq(bound_minus_margin, 0.0, z_max, xtol=1e-10))
    tail = float(stats.norm.sf(z_star))
    return tail if point > margin else 1.0 - tail


def non_inferiority(
    candidate: tuple[int, int],
    baseline: tuple[int, int],
    margin: float = 0.0,
    alpha: float = 0.05,
    paired: tuple[int, int] | None = None,
) -> NonInferiorityResult:
    """Compare a candidate's violation rate to the baseline's, with a non-inferiority margin.

    Args:
        candidate: (violations, cases) of the candidate.
        baseline: (violations, cases) of the baseline.
        margin: tolerated increase of the violation rate, in rate units (0.02 = 2 points).
        alpha: one-sided level of each decision.
        paired: for cases both ran, the discordant counts (b, c): b = only the candidate
            violates, c = only the baseline violates. Both tuples then count the same cases.

    Unpaired data use the Newcombe hybrid score interval. Paired data use Tango's score
    interval (which handles a non-zero margin); the exact McNemar test is reported alongside.
    """
    e_c, n_c = candidate
    e_b, n_b = baseline
    _check_counts(e_c, n_c, "candidate")
    _check_counts(e_b, n_b, "baseline")
    _check_alpha(alpha)
    if not 0.0 <= margin < 1.0:
        raise ValueError(f"margin must lie in [0, 1), got {margin}")
    confidence = 1.0 - 2.0 * alpha
    if paired is None:
        diff = newcombe_difference(e_c, n_c, e_b, n_b, confidence)
        p_reg = _newcombe_p_regression(e_c, n_c, e_b, n_b, margin)
        mcn = None
    else:
        b, c = paired
        if n_c != n_b:
            raise ValueError(f"paired data need the same cases on both sides, got {n_c} vs {n_b}")
        if b < 0 or c < 0 or b > e_c or c > e_b or b - c != e_c - e_b:
            raise ValueError(
                f"discordant counts b={b}, c={c} are inconsistent with candidate {candidate}"
                f" and baseline {baseline} (need b <= e_cand, c <= e_base, b - c = e_cand - e_base)"
            )
        diff = paired_difference(b, c, n_c, confidence)
        p_reg = float(stats.norm.sf(_tango_statistic(b, c, n_c, margin))) if n_c else 1.0
        mcn = mcnemar_exact(b, c)
    ni, reg = _decide(np.asarray(diff.low), np.asarray(diff.high), margin)
    return NonInferiorityResult(
        difference=diff,
        margin=margin,
        alpha=alpha,
        paired=paired is not None,
        non_inferior=bool(ni),
        regression=bool(reg),
        p_regression=p_reg,
        p_non_inferiority=1.0 - p_reg,
        mcnemar=mcn,
    )


def _regression_mask(
    e_c: ArrayLike, n_c: ArrayLike, e_b: ArrayLike, n_b: ArrayLike, margin: float, alpha: float
) -> FloatArray:
    """Vectorised unpaired regression decision, identical to `non_inferiority(...).regression`."""
    _, low, high = _newcombe_bounds(e_c, n_c, e_b, n_b, _one_sided_z(alpha))
    return _decide(low, high, margin)[1]


def _non_inferior_mask(
    e_c: ArrayLike, n_c: ArrayLike, e_b: ArrayLike, n_b: ArrayLike, margin: float, alpha: float
) -> FloatArray:
    """Vectorised unpaired non-inferiority decision, identical to `non_inferiority(...)`."""
    _, low, high = _newcombe_bounds(e_c, n_c, e_b, n_b, _one_sided_z(alpha))
    return _decide(low, high, margin)[0]
