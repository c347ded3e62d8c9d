"""Corrections: multiplicity across a family of tests, and measured scorer error."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from safetyloop.stats._intervals import Interval, _check_confidence, _check_counts


@dataclass(frozen=True)
class HolmResult:
    """Holm step-down correction of a family of p-values (input order preserved).

    Attributes:
        p_values: the raw p-values.
        adjusted: Holm-adjusted p-values (>= raw, capped at 1, monotone in the raw order).
        reject: whether each hypothesis is rejected at family-wise level `alpha`.
        alpha: the family-wise error rate controlled.
    """

    p_values: tuple[float, ...]
    adjusted: tuple[float, ...]
    reject: tuple[bool, ...]
    alpha: float


def holm(p_values: Sequence[float], alpha: float = 0.05) -> HolmResult:
    """Holm step-down adjustment: family-wise error control without Bonferroni's waste.

    Testing every principle and category separately would find a "regression" somewhere by
    chance alone; Holm keeps the chance of any false finding at `alpha` under any dependence.
    """
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must lie strictly between 0 and 1, got {alpha}")
    p = np.asarray(p_values, dtype=np.float64)
    if p.ndim != 1:
        raise ValueError("p_values must be a flat sequence")
    if np.any(np.isnan(p)) or np.any((p < 0.0) | (p > 1.0)):
        raise ValueError("every p-value must lie in [0, 1]")
    m = p.size
    if m == 0:
        return HolmResult((), (), (), alpha)
    order = np.argsort(p, kind="stable")
    sorted_p = p[order]
    factors = np.arange(m, 0, -1, dtype=np.float64)
    adjusted_sorted = np.minimum(1.0, np.maximum.accumulate(factors * sorted_p))
    # Step down: reject while p_(i) <= alpha / (m - i + 1); stop at the first failure.
    fails = sorted_p > alpha / factors
    reject_sorted = np.ones(m, dtype=bool)
    if fails.any():
        reject_sorted[int(np.argmax(fails)) :] = False
    adjusted = np.empty(m)
    adjusted[order] = adjusted_sorted
    reject = np.empty(m, dtype=bool)
    reject[order] = reject_sorted
    return HolmResult(
        tuple(float(x) for x in p),
        tuple(float(x) for x in adjusted),
        tuple(bool(x) for x in reject),
        alpha,
    )


@dataclass(frozen=True)
class RoganGladenResult:
    """A violation rate corrected for the scorer's measured error.

    Attributes:
        interval: corrected prevalence with an interval that includes the scorer's own
            uncertainty (method ``"rogan-gladen"``).
        observed: the raw rate the scorer reported (events / n).
        sensitivity: point estimate of P(scored violating | truly violating).
        specificity: point estimate of P(scored safe | truly safe).
        draws: parametric-bootstrap draws used for the interval.
        invalid_fraction: share of draws where sampled sensitivity + specificity <= 1 (the
            scorer was no better than chance there); they are dropped. A large share means the
            calibration set is too small to support a correction.
        delta_se: delta-method standard error of the unclipped corrected rate, for reference.
    """

    interval: Interval
    observed: float
    sensitivity: float
    specificity: float
    draws: int
    invalid_fraction: float
    delta_se: float


def rogan_gladen(
    events: int,
    n: int,
    sensitivity: tuple[int, int],
    specificity: tuple[int, int],
    confidence: float = 0.95,
    draws: int = 20_000,
    seed: int = 0,
) -> RoganGladenResult:
    """Rogan–Gladen correction of an observed rate for scorer sensitivity and specificity.

    corrected = (p_obs + spec − 1) / (sens + spec − 1), clipped to [0, 1].

    Args:
        events: responses the scorer flagged as violating.
        n: responses scored.
        sensitivity: (flagged, total) among calibration responses humans labelled violating.
        specificity: (passed, total) among calibration responses humans labelled safe.
        confidence: two-sided coverage of the interval.
        draws: parametric-bootstrap draws.
        seed: RNG seed; equal inputs and seed give an equal interval.

    The interval propagates all three sources of uncertainty by a parametric bootstrap over
    Jeffreys Beta(k + 1/2, n − k + 1/2) draws of the observed rate, sensitivity and specificity
    (the Beta keeps a perfect calibration record, e.g. 50/50, from claiming zero uncertainty),
    taking percentiles of the clipped corrected rate.

    Raises:
        ValueError: when sens + spec <= 1: such a scorer carries no information and the
            correction is undefined.
    """
    _check_counts(events, n, "observed")
    _check_counts(*sensitivity, "sensitivity")
    _check_counts(*specificity, "specificity")
    _check_confidence(confidence)
    if n == 0 or sensitivity[1] == 0 or specificity[1] == 0:
        raise ValueError("rogan_gladen needs n > 0 and non-empty calibration counts")
    if draws < 100:
        raise ValueError(f"draws must be at least 100, got {draws}")
    p_obs = events / n
    se = sensitivity[0] / sensitivity[1]
    sp = specificity[0] / specificity[1]
    youden = se + sp - 1.0
    if youden <= 0.0:
        raise ValueError(
            f"scorer sensitivity {se:.3f} + specificity {sp:.3f} <= 1: it is no better than "
            "chance, so its error cannot be corrected; recalibrate or replace the scorer"
        )
    point = float(np.clip((p_obs + sp - 1.0) / youden, 0.0, 1.0))

    rng = np.random.default_rng(seed)

    def jeffreys(k: int, m: int) -> np.ndarray:
        return rng.beta(k + 0.5, m - k + 0.5, size=draws)

    p_d = jeffreys(events, n)
    se_d = jeffreys(*sensitivity)
    sp_d = jeffreys(*specificity)
    j_d = se_d + sp_d - 1.0
    valid = j_d > 0.0
    corrected = np.clip((p_d[valid] + sp_d[valid] - 1.0) / j_d[valid], 0.0, 1.0)
    a = (1.0 - confidence) / 2.0
    if corrected.size:
        low, high = (float(x) for x in np.quantile(corrected, [a, 1.0 - a]))
    else:
        low, high = 0.0, 1.0
    low, high = min(low, point), max(high, point)

    # Delta method on the unclipped estimator, independent binomial sources.
    var_p = p_obs * (1 - p_obs) / n
    var_se = se * (1 - se) / sensitivity[1]
    var_sp = sp * (1 - sp) / specificity[1]
    theta = (p_obs + sp - 1.0) / youden
    delta_var = (var_p + theta**2 * var_se + (1.0 - theta) ** 2 * var_sp) / youden**2
    return RoganGladenResult(
        interval=Interval(point, low, high, confidence, "rogan-gladen"),
        observed=p_obs,
        sensitivity=se,
        specificity=sp,
        draws=draws,
        invalid_fraction=float(1.0 - valid.mean()),
        delta_se=float(np.sqrt(delta_var)),
    )
