"""Trend of a violation rate across releases."""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import statsmodels.api as sm
from statsmodels.tools.sm_exceptions import PerfectSeparationWarning

from safetyloop.stats._intervals import _check_confidence, _check_counts


@dataclass(frozen=True)
class TrendResult:
    """Logistic trend of a violation rate over release order (index 0 = first release).

    Attributes:
        estimable: False when the fit is not identified (no events at all, every case
            violating, or perfect separation); the numeric fields are then NaN / None.
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
        note: why the fit is not estimable, empty otherwise.
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


def _separated(events: np.ndarray, n: np.ndarray) -> bool:
    """(Quasi-)complete separation on release order: the logistic MLE slope is infinite.

    True when some release splits the others into "no violations" on one side and "every case
    violates" on the other (that release itself may be mixed).
    """
    none = events == 0
    every = events == n
    r = events.size
    for j in range(r):
        before, after = slice(0, j), slice(j + 1, r)
        if (none[before].all() and every[after].all()) or (
            every[before].all() and none[after].all()
        ):
            return True
    return False


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
    idx = np.array([i for i, (_, n) in enumerate(release_events) if n > 0], dtype=np.float64)
    ev = np.array([e for e, n in release_events if n > 0], dtype=np.float64)
    ns = np.array([n for _, n in release_events if n > 0], dtype=np.float64)
    if idx.size < 2:
        raise ValueError("a trend needs at least two releases with cases")
    nan = float("nan")

    def not_estimable(note: str) -> TrendResult:
        return TrendResult(False, nan, nan, nan, nan, nan, confidence, (), None, note)

    if ev.sum() == 0:
        return not_estimable("no violations in any release: the slope is not identified")
    if ev.sum() == ns.sum():
        return not_estimable("every case violates in every release: the slope is not identified")
    if _separated(ev, ns):
        return not_estimable(
            "violations all on one side of some release (separation): the slope is infinite"
        )
    exog = sm.add_constant(idx, has_constant="add")
    with warnings.catch_warnings():
        # A saturated fit (two releases) trips statsmodels' "perfect prediction" heuristic and a
        # zero residual-df division, neither of which concerns the binomial MLE; true separation
        # is ruled out above.
        warnings.simplefilter("ignore", PerfectSeparationWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        fit = sm.GLM(np.column_stack([ev, ns - ev]), exog, family=sm.families.Binomial()).fit()
    a, b = (float(x) for x in fit.params)
    ci = np.asarray(fit.conf_int(alpha=1.0 - confidence))
    x_all = np.arange(len(release_events), dtype=np.float64)
    fitted = 1.0 / (1.0 + np.exp(-(a + b * x_all)))
    crossing = (math.log(threshold / (1.0 - threshold)) - a) / b if b > 0 else None
    return TrendResult(
        estimable=True,
        slope=b,
        slope_low=float(ci[1, 0]),
        slope_high=float(ci[1, 1]),
        p_value=float(fit.pvalues[1]),
        intercept=a,
        confidence=confidence,
        fitted_rates=tuple(float(x) for x in fitted),
        crossing_index=crossing,
    )
