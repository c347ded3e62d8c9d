"""Holm against statsmodels; Rogan–Gladen against closed forms."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize, stats
from statsmodels.stats.multitest import multipletests

from safetyloop.stats import holm, rogan_gladen

P_VALUES = st.lists(st.floats(0.0, 1.0, allow_nan=False), min_size=1, max_size=30)


@settings(max_examples=40, deadline=None)  # multipletests itself takes ~50 ms a call
@given(P_VALUES, st.sampled_from([0.01, 0.05, 0.1]))
def test_holm_matches_statsmodels(p: list[float], alpha: float) -> None:
    reject, adjusted, _, _ = multipletests(p, alpha=alpha, method="holm")
    res = holm(p, alpha)
    assert list(res.reject) == [bool(x) for x in reject]
    np.testing.assert_allclose(res.adjusted, adjusted, rtol=1e-12, atol=1e-15)


@given(P_VALUES)
def test_holm_adjusted_at_least_raw_and_monotone(p: list[float]) -> None:
    res = holm(p)
    assert all(a >= r for a, r in zip(res.adjusted, res.p_values, strict=True))
    assert all(a <= 1.0 for a in res.adjusted)
    order = np.argsort(p, kind="stable")
    adj_sorted = np.asarray(res.adjusted)[order]
    assert np.all(np.diff(adj_sorted) >= 0)
    # a rejected hypothesis never has a larger raw p-value than a retained one
    rejected = [q for q, r in zip(p, res.reject, strict=True) if r]
    kept = [q for q, r in zip(p, res.reject, strict=True) if not r]
    if rejected and kept:
        assert max(rejected) <= min(kept)


def test_holm_empty_and_invalid() -> None:
    assert holm([]).adjusted == ()
    with pytest.raises(ValueError):
        holm([0.5, 1.5])


def test_rogan_gladen_point_is_the_closed_form() -> None:
    res = rogan_gladen(30, 200, sensitivity=(90, 100), specificity=(95, 100))
    assert res.interval.point == pytest.approx((0.15 + 0.95 - 1) / (0.9 + 0.95 - 1))
    assert res.interval.low <= res.interval.point <= res.interval.high
    assert res.interval.method == "rogan-gladen"


def test_rogan_gladen_clips_to_unit_interval() -> None:
    res = rogan_gladen(0, 200, sensitivity=(90, 100), specificity=(90, 100))
    assert res.interval.point == 0.0
    assert 0.0 <= res.interval.low <= res.interval.high <= 1.0


def test_rogan_gladen_refuses_a_chance_level_scorer() -> None:
    with pytest.raises(ValueError, match="no better than chance"):
        rogan_gladen(10, 100, sensitivity=(50, 100), specificity=(40, 100))


def test_perfect_large_calibration_reduces_to_the_binomial_confidence_interval() -> None:
    """With no scorer error left, the interval is the percentile interval of the observed
    rate's confidence distribution (an even mixture of the two Clopper–Pearson Betas)."""
    res = rogan_gladen(40, 400, (10**7, 10**7), (10**7, 10**7), draws=200_000, seed=1)

    def mixture_quantile(q: float) -> float:
        def cdf(x: float) -> float:
            return 0.5 * (stats.beta.cdf(x, 40, 361) + stats.beta.cdf(x, 41, 360)) - q

        return float(optimize.brentq(cdf, 1e-9, 1 - 1e-9))

    assert res.interval.low == pytest.approx(mixture_quantile(0.025), abs=2e-3)
    assert res.interval.high == pytest.approx(mixture_quantile(0.975), abs=2e-3)
    exact_low = stats.beta.ppf(0.025, 40, 361)
    exact_high = stats.beta.ppf(0.975, 41, 360)
    assert exact_low <= res.interval.low + 1e-3 and res.interval.high <= exact_high + 1e-3


def test_scorer_uncertainty_widens_the_interval_and_matches_the_delta_method() -> None:
    tight = rogan_gladen(300, 2000, (9000, 10000), (9500, 10000), draws=50_000, seed=2)
    loose = rogan_gladen(300, 2000, (90, 100), (95, 100), draws=50_000, seed=2)
    assert loose.interval.high - loose.interval.low > tight.interval.high - tight.interval.low
    # far from the [0, 1] edges the bootstrap spread matches the delta-method s.e.
    width = tight.interval.high - tight.interval.low
    assert width / (2 * 1.959964) == pytest.approx(tight.delta_se, rel=0.1)


def test_rogan_gladen_is_deterministic_for_a_seed() -> None:
    args = (12, 150, (40, 50), (45, 50))
    assert rogan_gladen(*args, seed=7) == rogan_gladen(*args, seed=7)
    assert rogan_gladen(*args, seed=7) != rogan_gladen(*args, seed=8)


def test_a_rate_under_the_false_positive_rate_keeps_an_upper_bound() -> None:
    """0 flagged of 200 with a scorer that flags 14% of safe answers: the corrected point is 0,
    but the interval is not [0, 0] — the model may still hide what a 0/200 flag count allows."""
    res = rogan_gladen(0, 200, (388, 579), (692, 808))
    assert res.interval.point == 0.0 and res.interval.low == 0.0
    exact_high = stats.beta.ppf(0.975, 1, 200)  # what 0/200 flags allow, before sensitivity
    assert 0.0 < res.interval.high <= exact_high / (388 / 579) * 1.5
