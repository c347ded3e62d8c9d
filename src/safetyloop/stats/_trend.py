"""Trend of a violation rate across releases."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from safetyloop.stats._intervals import _check_confidence, _check_counts
from safetyloop.stats._logistic import logistic_slope


@dataclass(frozen=True)
class TrendResult:
    """Logistic trend of a violation rate over release order (index 0 = first release).

    Attributes:
        estimable: False when the slope cannot be estimated (no violations at all, every case
            violating, (quasi-)complete separation, a fit that does not bound it: see
            `stats.logistic_slope`); the numeric fields are then NaN / None and `note` says why.
        slope: change in log-odds of a violation per release (> 0: getting worse).
        slope_low: lower bound of the slope's Wald interval.
        slope_high: upper bound of the slope's Wald interval.
        p_value: two-sided Wald p-value of slope == 0.
        intercept: log-odds at release index 0.
        confidence: coverage of the slope interval.
        fitted_rates: fitted violation rate at each release index.
        crossing_index: fractional release index at which the fitted rate rises past the
            threshold; may lie in the past (already above) or the future. None when the slope
            is not positive (the fitted rate never rises to it) or the fit is not estimable.
        note: why the slope cannot be estimated, empty otherwise.
    """

    estimable: bool
    slope: float
    slope_low: float
    slope_high: float
    p_value: float
    intercept: float
    confidence: float
    fitted_rates: tuple[float, ...]
    crossing_index: float | None
    note: str = ""


def trend_test(
    release_events: Sequence[tuple[int, int]],
    threshold: float,
    confidence: float = 0.95,
) -> TrendResult:
    """Binomial GLM (logit link) of violations on release order, with a threshold projection.

    A per-release interval says where a rate is; the slope says where it is heading, pooling
    every release's cases. The projection extrapolates the fitted logistic curve: treat it as a
    warning light, not a forecast (it assumes the trend is steady).

    Args:
        release_events: (violations, cases) per release, oldest first; releases with no cases
            keep their index but contribute nothing.
        threshold: the principle's ceiling on the rate, in (0, 1).
        confidence: coverage of the slope interval.
    """
    _check_confidence(confidence)
    if not 0.0 < threshold < 1.0:
        raise ValueError(f"threshold must lie strictly between 0 and 1, got {threshold}")
    for i, (e, n) in enumerate(release_events):
        _check_counts(e, n, f"release {i}")
    if sum(n > 0 for _, n in release_events) < 2:
        raise ValueError("a trend needs at least two releases with cases")
    # Fitted on release numbers (1 = the first, as people count them), so a reason names the
    # release the way every table shows it; the intercept is moved back to index 0 below.
    fit = logistic_slope(
        list(range(1, len(release_events) + 1)),
        [e for e, _ in release_events],
        [n for _, n in release_events],
        confidence,
        predictor="release",
    )
    if not fit.estimable:
        nan = float("nan")
        return TrendResult(False, nan, nan, nan, nan, nan, confidence, (), None, fit.reason)
    b = fit.slope
    a = fit.intercept + b  # log-odds at release index 0 (release number 1)
    x_all = np.arange(len(release_events), dtype=np.float64)
    fitted = 1.0 / (1.0 + np.exp(-(a + b * x_all)))
    crossing = (math.log(threshold / (1.0 - threshold)) - a) / b if b > 0 else None
    return TrendResult(
        estimable=True,
        slope=b,
        slope_low=fit.low,
        slope_high=fit.high,
        p_value=fit.p_value,
        intercept=a,
        confidence=confidence,
        fitted_rates=tuple(float(x) for x in fitted),
        crossing_index=crossing,
    )
