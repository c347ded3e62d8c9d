"""A logistic slope on one predictor, or the reason it cannot be estimated.

The trend across releases and the red-team erosion slope are both the slope of a binomial GLM
(logit link) of events on one number. Where the data cannot identify that slope, statsmodels
still prints one — a quasi-separated fit gives "-20.97 [-34771.86, +34729.92]" — so the reason
is decided first, from the data, and carried with the result instead of the numbers:

* the predictor does not vary (zero variance): no slope to speak of;
* no events at all, or nothing but events: every slope fits equally well;
* (quasi-)complete separation: some cut-point on the predictor has only non-events on one side
  and only events on the other (ties allowed at the cut-point). For a single predictor with an
  intercept this is exactly when the maximum-likelihood slope is infinite (Albert & Anderson
  1984, Biometrika 71:1–10), whatever statsmodels reports;
* otherwise a fit that did not converge, or whose slope or standard error is not finite or too
  wide to bound anything (`MAX_SPAN_SE`), is reported as such.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import statsmodels.api as sm
from scipy import stats
from statsmodels.tools.sm_exceptions import ConvergenceWarning, PerfectSeparationError

from safetyloop.stats._intervals import _check_confidence, _check_counts

#: A slope whose standard error spans more log-odds than this over the observed range of the
#: predictor bounds nothing (e^50 is about 5e21): the fit is reported as not estimable.
MAX_SPAN_SE = 50.0


@dataclass(frozen=True)
class SlopeFit:
    """Logistic regression of events on one predictor (`x`), with a Wald interval.

    Attributes:
        estimable: False when the data cannot identify the slope; the numbers are then NaN.
        reason: why it cannot be estimated (empty when estimable), in words for people.
        slope: change in log-odds of an event per unit of `x`.
        low: lower bound of the slope's Wald interval.
        high: upper bound of the slope's Wald interval.
        p_value: two-sided Wald p-value of slope == 0.
        intercept: log-odds at x == 0.
        confidence: coverage of the interval.
        n: trials counted.
    """

    estimable: bool
    reason: str
    slope: float
    low: float
    high: float
    p_value: float
    intercept: float
    confidence: float
    n: int


def _fmt(value: float) -> str:
    return f"{value:g}"


def degenerate_reason(
    x: np.ndarray, events: np.ndarray, trials: np.ndarray, predictor: str = "x"
) -> str:
    """Why a logistic slope of `events`/`trials` on `x` is not identified ('' when it is).

    Rows with no trials must be removed by the caller; `predictor` names `x` in the reason.
    """
    if np.unique(x).size < 2:
        return f"zero variance: every observation is at {predictor} = {_fmt(float(x[0]))}"
    if events.sum() == 0:
        return "no events at all: every outcome is 0, so no slope fits better than another"
    if events.sum() == trials.sum():
        return "events only: every outcome is 1, so no slope fits better than another"
    has_event, has_non_event = events > 0, events < trials
    first_event, last_event = float(x[has_event].min()), float(x[has_event].max())
    first_non, last_non = float(x[has_non_event].min()), float(x[has_non_event].max())
    if last_non < first_event:
        return (
            f"complete separation: every outcome at {predictor} <= {_fmt(last_non)} is 0 and "
            f"every one at {predictor} >= {_fmt(first_event)} is 1, so the maximum-likelihood "
            "slope is +infinite"
        )
    if last_event < first_non:
        return (
            f"complete separation: every outcome at {predictor} <= {_fmt(last_event)} is 1 and "
            f"every one at {predictor} >= {_fmt(first_non)} is 0, so the maximum-likelihood "
            "slope is -infinite"
        )
    if last_non == first_event or last_event == first_non:
        cut = _fmt(last_non if last_non == first_event else last_event)
        low, high = ("0", "1") if last_non == first_event else ("1", "0")
        return (
            f"quasi-complete separation: no outcome below {predictor} = {cut} is {high} and "
            f"none above it is {low} (both occur only at {predictor} = {cut}), so the "
            "maximum-likelihood slope is infinite"
        )
    return ""


def logistic_slope(
    x: Sequence[float],
    events: Sequence[int],
    trials: Sequence[int],
    confidence: float = 0.95,
    predictor: str = "x",
) -> SlopeFit:
    """Binomial GLM (logit link) of `events` out of `trials` on `x`, or why it cannot be fitted.

    Rows with no trials are ignored. Equivalent to a logistic regression on the individual
    0/1 outcomes (same estimate, same standard error). `predictor` names `x` in the reason.
    """
    _check_confidence(confidence)
    if not len(x) == len(events) == len(trials):
        raise ValueError("x, events and trials must have the same length")
    for i, (e, n) in enumerate(zip(events, trials, strict=True)):
        _check_counts(e, n, f"row {i}")
    xs = np.asarray(x, dtype=np.float64)
    ev = np.asarray(events, dtype=np.float64)
    ns = np.asarray(trials, dtype=np.float64)
    keep = ns > 0
    xs, ev, ns = xs[keep], ev[keep], ns[keep]
    total = int(ns.sum())
    nan = float("nan")

    def not_estimable(reason: str) -> SlopeFit:
        return SlopeFit(False, reason, nan, nan, nan, nan, nan, confidence, total)

    if xs.size == 0:
        return not_estimable("no observations")
    reason = degenerate_reason(xs, ev, ns, predictor)
    if reason:
        return not_estimable(reason)
    design = sm.add_constant(xs, has_constant="add")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            fit = sm.GLM(
                np.column_stack([ev, ns - ev]), design, family=sm.families.Binomial()
            ).fit()
        except PerfectSeparationError as exc:  # older statsmodels raise instead of warning
            return not_estimable(f"separation reported by statsmodels: {exc}")
    # Separation is ruled out exactly above; statsmodels' own "perfect prediction" warning also
    # fires on a saturated fit (two values of x), whose estimate exists, so it is not a reason.
    if any(issubclass(w.category, ConvergenceWarning) for w in caught) or not fit.converged:
        return not_estimable("the fit did not converge")
    a, b = (float(v) for v in fit.params)
    se = float(fit.bse[1])
    if not (math.isfinite(a) and math.isfinite(b) and math.isfinite(se)):
        return not_estimable("no finite estimate")
    span = float(xs.max() - xs.min())
    if se * span > MAX_SPAN_SE:
        return not_estimable(
            f"standard error {se:.3g} per unit spans {se * span:.3g} log-odds over the observed "
            f"range, more than {MAX_SPAN_SE:g}: the data do not bound the slope"
        )
    z = float(stats.norm.ppf(0.5 + confidence / 2.0))
    return SlopeFit(
        estimable=True,
        reason="",
        slope=b,
        low=b - z * se,
        high=b + z * se,
        p_value=float(2.0 * stats.norm.sf(abs(b / se))),
        intercept=a,
        confidence=confidence,
        n=total,
    )
