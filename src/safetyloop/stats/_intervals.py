"""Confidence intervals for a proportion and for a difference of proportions.

The scalar functions are thin wrappers over array kernels (`_wilson_bounds`, `_newcombe_bounds`):
the power calculations and the self-check evaluate the very same kernels over whole outcome grids,
so what is planned and simulated is exactly what the gate decides with.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import optimize, stats

FloatArray = npt.NDArray[np.float64]
ArrayLike = npt.ArrayLike


@dataclass(frozen=True)
class Interval:
    """A point estimate with its two-sided interval.

    Attributes:
        point: the estimate (a rate in [0, 1], or a difference of rates in [-1, 1]).
        low: lower bound of the interval.
        high: upper bound of the interval.
        confidence: two-sided coverage the interval was built for (e.g. 0.95).
        method: how it was computed (``"wilson"``, ``"clopper-pearson"``, ``"newcombe"``, ...).
    """

    point: float
    low: float
    high: float
    confidence: float
    method: str


def _check_confidence(confidence: float) -> None:
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must lie strictly between 0 and 1, got {confidence}")


def _check_counts(events: int, n: int, what: str = "") -> None:
    if n < 0 or events < 0 or events > n:
        label = f"{what}: " if what else ""
        raise ValueError(f"{label}need 0 <= events <= n, got events={events}, n={n}")


def _z(confidence: float) -> float:
    """Two-sided normal critical value for `confidence`."""
    return float(stats.norm.ppf(1.0 - (1.0 - confidence) / 2.0))


def _wilson_bounds(events: ArrayLike, n: ArrayLike, z: float) -> tuple[FloatArray, FloatArray]:
    """Vectorised Wilson score bounds; n == 0 gives the whole of [0, 1]."""
    k = np.asarray(events, dtype=np.float64)
    m = np.asarray(n, dtype=np.float64)
    safe_m = np.where(m > 0, m, 1.0)
    p = k / safe_m
    z2 = z * z
    denom = 1.0 + z2 / safe_m
    center = (p + z2 / (2.0 * safe_m)) / denom
    half = z * np.sqrt(np.maximum(p * (1.0 - p), 0.0) / safe_m + z2 / (4.0 * safe_m**2)) / denom
    low = np.where(k <= 0, 0.0, np.clip(center - half, 0.0, 1.0))
    high = np.where(k >= m, 1.0, np.clip(center + half, 0.0, 1.0))
    low = np.where(m > 0, low, 0.0)
    high = np.where(m > 0, high, 1.0)
    return np.asarray(low, dtype=np.float64), np.asarray(high, dtype=np.float64)


def wilson(events: int, n: int, confidence: float = 0.95) -> Interval:
    """Wilson score interval: near-nominal coverage even for rare events and small n.

    For n == 0 the honest answer is the whole of [0, 1] (point reported as 0).
    """
    _check_counts(events, n)
    _check_confidence(confidence)
    low, high = _wilson_bounds(events, n, _z(confidence))
    point = events / n if n else 0.0
    return Interval(point, float(low), float(high), confidence, "wilson")


def clopper_pearson(events: int, n: int, confidence: float = 0.95) -> Interval:
    """Clopper–Pearson ("exact") interval: guaranteed coverage, at the price of width.

    Used where a conservative bound is wanted (e.g. one-sided exact tests); the gate's default is
    Wilson. For n == 0 the interval is [0, 1].
    """
    _check_counts(events, n)
    _check_confidence(confidence)
    if n == 0:
        return Interval(0.0, 0.0, 1.0, confidence, "clopper-pearson")
    a = (1.0 - confidence) / 2.0
    low = 0.0 if events == 0 else float(stats.beta.ppf(a, events, n - events + 1))
    high = 1.0 if events == n else float(stats.beta.ppf(1.0 - a, events + 1, n - events))
    return Interval(events / n, low, high, confidence, "clopper-pearson")


def _newcombe_bounds(
    e1: ArrayLike, n1: ArrayLike, e2: ArrayLike, n2: ArrayLike, z: float
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Vectorised Newcombe hybrid score bounds (method 10) for p1 − p2: (point, low, high)."""
    k1 = np.asarray(e1, dtype=np.float64)
    m1 = np.asarray(n1, dtype=np.float64)
    k2 = np.asarray(e2, dtype=np.float64)
    m2 = np.asarray(n2, dtype=np.float64)
    p1 = np.where(m1 > 0, k1 / np.where(m1 > 0, m1, 1.0), 0.0)
    p2 = np.where(m2 > 0, k2 / np.where(m2 > 0, m2, 1.0), 0.0)
    l1, u1 = _wilson_bounds(k1, m1, z)
    l2, u2 = _wilson_bounds(k2, m2, z)
    d = p1 - p2
    low = d - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = d + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return (
        np.asarray(d, dtype=np.float64),
        np.asarray(np.clip(low, -1.0, 1.0), dtype=np.float64),
        np.asarray(np.clip(high, -1.0, 1.0), dtype=np.float64),
    )


def newcombe_difference(e1: int, n1: int, e2: int, n2: int, confidence: float = 0.95) -> Interval:
    """Newcombe hybrid score interval (method 10) for the difference p1 − p2 of independent rates.

    Combines the two Wilson intervals, so it inherits their good behaviour at rates near 0 where
    the Wald difference interval collapses. Swapping the groups mirrors the interval.
    """
    _check_counts(e1, n1, "group 1")
    _check_counts(e2, n2, "group 2")
    _check_confidence(confidence)
    d, low, high = _newcombe_bounds(e1, n1, e2, n2, _z(confidence))
    return Interval(float(d), float(low), float(high), confidence, "newcombe")


def _tango_statistic(b: int, c: int, n: int, delta: float) -> float:
    """Tango's score statistic for H0: p_candidate − p_baseline = delta on paired data.

    `b` counts pairs where only the candidate violates, `c` pairs where only the baseline does.
    The nuisance (probability of the `c` cell) is its restricted MLE, a quadratic root.
    """
    numerator = b - c - n * delta
    if numerator == 0:
        return 0.0
    w = -b - c + (2 * n - b + c) * delta
    q21 = (math.sqrt(max(w * w + 8.0 * n * c * delta * (1.0 - delta), 0.0)) - w) / (4.0 * n)
    variance = n * (2.0 * q21 + delta * (1.0 - delta))
    if variance <= 0.0:
        return math.copysign(math.inf, numerator)
    return numerator / math.sqrt(variance)


def paired_difference(b: int, c: int, n: int, confidence: float = 0.95) -> Interval:
    """Tango (1998) score interval for the difference of two rates measured on the same cases.

    Args:
        b: pairs where the candidate violates and the baseline does not.
        c: pairs where the baseline violates and the candidate does not.
        n: number of pairs (cases both ran).
        confidence: two-sided coverage.

    The interval inverts Tango's score test, which at a difference of 0 is exactly McNemar's
    statistic; unlike an exact conditional test it can be centred on a non-zero margin, which is
    what a paired non-inferiority decision needs.
    """
    if n < 0 or b < 0 or c < 0 or b + c > n:
        raise ValueError(f"need b, c >= 0 and b + c <= n, got b={b}, c={c}, n={n}")
    _check_confidence(confidence)
    if n == 0:
        return Interval(0.0, -1.0, 1.0, confidence, "tango")
    z = _z(confidence)
    d = (b - c) / n
    eps = 1e-12

    def f(delta: float, target: float) -> float:
        return _tango_statistic(b, c, n, delta) - target

    lo_edge, hi_edge = -1.0 + eps, 1.0 - eps
    if d <= lo_edge or f(lo_edge, z) <= 0.0:
        low = -1.0
    else:
        low = float(optimize.brentq(f, lo_edge, d, args=(z,), xtol=1e-12))
    if d >= hi_edge or f(hi_edge, -z) >= 0.0:
        high = 1.0
    else:
        high = float(optimize.brentq(f, d, hi_edge, args=(-z,), xtol=1e-12))
    return Interval(d, low, high, confidence, "tango")
