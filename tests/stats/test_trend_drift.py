"""Trend across releases and category drift against references."""

from __future__ import annotations

import math

import numpy as np
import pytest
import statsmodels.api as sm
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats
from scipy.stats.contingency import association

from safetyloop.stats import category_drift, trend_test


def test_trend_matches_logit_on_individual_cases() -> None:
    releases = [(3, 100), (5, 120), (9, 110), (14, 130)]
    res = trend_test(releases, threshold=0.2)
    x = np.concatenate([np.full(n, i) for i, (_, n) in enumerate(releases)])
    y = np.concatenate([np.r_[np.ones(e), np.zeros(n - e)] for e, n in releases])
    ref = sm.Logit(y, sm.add_constant(x)).fit(disp=0)
    assert res.estimable
    assert res.slope == pytest.approx(ref.params[1], rel=1e-6)
    assert res.intercept == pytest.approx(ref.params[0], rel=1e-6)
    assert res.p_value == pytest.approx(ref.pvalues[1], rel=1e-4)
    lo, hi = ref.conf_int()[1]
    assert res.slope_low == pytest.approx(lo, rel=1e-5)
    assert res.slope_high == pytest.approx(hi, rel=1e-5)
    assert res.crossing_index is not None
    at = res.intercept + res.slope * res.crossing_index
    assert 1 / (1 + math.exp(-at)) == pytest.approx(0.2)
    assert res.crossing_index > 3  # fitted rate still under 0.2 at the last release


def test_improving_trend_never_crosses() -> None:
    res = trend_test([(20, 100), (12, 100), (6, 100)], threshold=0.3)
    assert res.slope < 0 and res.crossing_index is None


def test_empty_releases_keep_their_index() -> None:
    a = trend_test([(3, 100), (0, 0), (9, 100)], 0.5)
    b = trend_test([(3, 100), (9, 100)], 0.5)
    assert a.slope == pytest.approx(b.slope / 2, rel=1e-6)
    assert len(a.fitted_rates) == 3


@pytest.mark.parametrize(
    "releases", [[(0, 50), (0, 60)], [(50, 50), (60, 60)], [(0, 50), (50, 50)]]
)
def test_unidentified_trend_is_reported_not_invented(releases: list[tuple[int, int]]) -> None:
    res = trend_test(releases, 0.1)
    assert not res.estimable and res.note and res.crossing_index is None


def test_trend_needs_two_releases() -> None:
    with pytest.raises(ValueError):
        trend_test([(1, 10), (0, 0)], 0.1)


COUNTS = st.dictionaries(st.sampled_from("abcdefg"), st.integers(0, 500), min_size=1)


@given(COUNTS, COUNTS)
def test_drift_matches_scipy(a: dict[str, int], b: dict[str, int]) -> None:
    if sum(a.values()) == 0 or sum(b.values()) == 0:
        with pytest.raises(ValueError):
            category_drift(a, b)
        return
    res = category_drift(a, b)
    cats = res.categories
    table = np.array([[a.get(c, 0) for c in cats], [b.get(c, 0) for c in cats]])
    if len(cats) < 2:
        assert res.p_value == 1.0
        return
    ref = stats.chi2_contingency(table, correction=False)
    assert res.chi2 == pytest.approx(ref.statistic, rel=1e-9, abs=1e-12)
    assert res.p_value == pytest.approx(ref.pvalue, rel=1e-9, abs=1e-15)
    assert res.cramers_v == pytest.approx(association(table, method="cramer"), abs=1e-9)
    swapped = category_drift(b, a)
    assert swapped.psi == pytest.approx(res.psi)
    assert res.psi >= 0.0


def test_psi_closed_form_and_empty_cells() -> None:
    res = category_drift({"x": 50, "y": 50}, {"x": 80, "y": 20})
    expected = (0.8 - 0.5) * math.log(0.8 / 0.5) + (0.2 - 0.5) * math.log(0.2 / 0.5)
    assert res.psi == pytest.approx(expected)
    empty = category_drift({"x": 100}, {"x": 50, "y": 50})
    assert empty.psi == pytest.approx(
        (0.5 - 1.0) * math.log(0.5 / 1.0) + (0.5 - 1e-4) * math.log(0.5 / 1e-4)
    )
    same = category_drift({"x": 10, "y": 30}, {"x": 20, "y": 60})
    assert same.chi2 == pytest.approx(0.0) and same.psi == pytest.approx(0.0)
