"""`logistic_slope`: a slope when the data identify one, the reason in words when they do not.

Checked against statsmodels' Logit on the individual 0/1 outcomes, against the closed form of a
saturated fit, and — with hypothesis — on generated separated data (never estimable, whatever
statsmodels prints) and generated overlapping data (estimable, and equal to statsmodels).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

import numpy as np
import pytest
import statsmodels.api as sm
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from safetyloop.stats import logistic_slope
from safetyloop.stats._logistic import MAX_SPAN_SE


def _individual(x: Sequence[float], y: list[int]) -> tuple[list[float], list[int], list[int]]:
    """Individual outcomes grouped by x, as the callers pass them."""
    xs = sorted(set(x))
    events = [sum(yi for xi, yi in zip(x, y, strict=True) if xi == v) for v in xs]
    trials = [sum(1 for xi in x if xi == v) for v in xs]
    return xs, events, trials


def _logit(x: Sequence[float], y: list[int]) -> object:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return sm.Logit(np.asarray(y, float), sm.add_constant(np.asarray(x, float))).fit(disp=0)


def test_matches_statsmodels_logit_on_individual_outcomes() -> None:
    x = [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4]
    y = [0, 0, 1, 0, 0, 1, 0, 1, 1, 1, 0, 1, 1, 1]
    fit = logistic_slope(*_individual(x, y))
    ref = _logit(x, y)
    assert fit.estimable and fit.reason == "" and fit.n == len(x)
    assert fit.slope == pytest.approx(ref.params[1], rel=1e-6)  # type: ignore[attr-defined]
    assert fit.intercept == pytest.approx(ref.params[0], rel=1e-6)  # type: ignore[attr-defined]
    assert fit.p_value == pytest.approx(ref.pvalues[1], rel=1e-5)  # type: ignore[attr-defined]
    low, high = ref.conf_int()[1]  # type: ignore[attr-defined]
    assert fit.low == pytest.approx(low, rel=1e-5)
    assert fit.high == pytest.approx(high, rel=1e-5)


def test_a_saturated_fit_is_the_closed_form() -> None:
    # 1/4 at x=1, 3/4 at x=2: slope = logit(3/4) - logit(1/4) = 2 ln 3, SE = sqrt(8/3).
    fit = logistic_slope([1, 2], [1, 3], [4, 4])
    assert fit.estimable
    assert fit.slope == pytest.approx(2 * math.log(3), rel=1e-6)
    assert fit.high - fit.slope == pytest.approx(1.959963984540054 * math.sqrt(8 / 3), rel=1e-5)


def test_the_quasi_separated_erosion_fit_is_not_printed_as_numbers() -> None:
    # Never violated before turn 3, always after it, mixed at turn 3: statsmodels still returns
    # a "slope" with a standard error in the thousands (issue 13: "-20.97 [-34771.86, ...]").
    x = [1, 1, 2, 2, 3, 3, 4, 4]
    y = [0, 0, 0, 0, 0, 1, 1, 1]
    ref = _logit(x, y)
    assert ref.bse[1] > 100  # type: ignore[attr-defined]
    fit = logistic_slope(*_individual(x, y), predictor="turn")
    assert not fit.estimable and math.isnan(fit.slope) and math.isnan(fit.low)
    assert fit.reason.startswith("quasi-complete separation")
    assert "turn = 3" in fit.reason


@pytest.mark.parametrize(
    ("x", "events", "trials", "start"),
    [
        ([1, 2, 3], [0, 0, 4], [4, 4, 4], "complete separation"),
        ([1, 2, 3], [4, 4, 0], [4, 4, 4], "complete separation"),
        ([1, 2, 3], [0, 2, 4], [4, 4, 4], "quasi-complete separation"),
        ([2, 2], [1, 3], [4, 4], "zero variance"),
        ([1, 2, 3], [0, 0, 0], [5, 5, 5], "no events at all"),
        ([1, 2, 3], [5, 5, 5], [5, 5, 5], "events only"),
        ([1, 2], [0, 0], [0, 0], "no observations"),
    ],
)
def test_degenerate_data_say_why(
    x: list[int], events: list[int], trials: list[int], start: str
) -> None:
    fit = logistic_slope(x, events, trials)
    assert not fit.estimable and fit.reason.startswith(start)
    assert all(math.isnan(v) for v in (fit.slope, fit.low, fit.high, fit.p_value))


def test_the_direction_of_a_complete_separation_is_named() -> None:
    assert "+infinite" in logistic_slope([1, 2, 3], [0, 0, 4], [4, 4, 4]).reason
    assert "-infinite" in logistic_slope([1, 2, 3], [4, 4, 0], [4, 4, 4]).reason


def test_rows_without_trials_are_ignored_and_bad_input_is_refused() -> None:
    a = logistic_slope([0, 1, 2, 3], [1, 0, 2, 3], [4, 0, 4, 4])
    b = logistic_slope([0, 2, 3], [1, 2, 3], [4, 4, 4])
    assert a.slope == pytest.approx(b.slope)
    with pytest.raises(ValueError):
        logistic_slope([0, 1], [1], [2, 2])
    with pytest.raises(ValueError):
        logistic_slope([0, 1], [3, 0], [2, 2])


X = st.integers(0, 6)


@st.composite
def separated(draw: st.DrawFn) -> tuple[list[int], list[int], bool]:
    """Outcomes all 0 below a cut-point and all 1 above it (or the reverse), mixed only at it."""
    cut = draw(st.integers(1, 5))
    below = draw(st.lists(st.integers(0, cut - 1), min_size=1, max_size=12))
    above = draw(st.lists(st.integers(cut + 1, 6), min_size=1, max_size=12))
    at_cut = draw(st.lists(st.booleans(), max_size=6))
    rising = draw(st.booleans())
    low, high = (0, 1) if rising else (1, 0)
    x = [*below, *above, *[cut] * len(at_cut)]
    y = [*[low] * len(below), *[high] * len(above), *(int(b) for b in at_cut)]
    return x, y, rising


@settings(max_examples=150, deadline=None)
@given(separated())
def test_separated_data_are_never_estimable(data: tuple[list[int], list[int], bool]) -> None:
    x, y, _ = data
    fit = logistic_slope(*_individual([float(v) for v in x], y))
    assert not fit.estimable
    assert "separation" in fit.reason
    assert math.isnan(fit.slope)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(X, st.integers(0, 1)), min_size=4, max_size=40))
def test_overlapping_data_match_statsmodels(pairs: list[tuple[int, int]]) -> None:
    x = [float(a) for a, _ in pairs]
    y = [b for _, b in pairs]
    ones = [a for a, b in zip(x, y, strict=True) if b]
    zeros = [a for a, b in zip(x, y, strict=True) if not b]
    # Overlap (Albert & Anderson): neither class lies wholly on one side of the other.
    assume(ones and zeros and max(zeros) > min(ones) and max(ones) > min(zeros))
    fit = logistic_slope(*_individual(x, y))
    ref = _logit(x, y)
    se = float(ref.bse[1])  # type: ignore[attr-defined]
    if not fit.estimable:  # only a slope the data do not bound is refused here
        assert fit.reason.startswith("standard error")
        assert se * (max(x) - min(x)) > MAX_SPAN_SE * 0.99
        return
    assert fit.slope == pytest.approx(ref.params[1], rel=1e-4, abs=1e-6)  # type: ignore[attr-defined]
    assert fit.high - fit.low == pytest.approx(2 * 1.959963984540054 * se, rel=1e-3)
