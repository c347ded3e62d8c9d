"""Tests of rates against thresholds and of candidate against baseline."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.contingency_tables import mcnemar

from safetyloop.stats import (
    clopper_pearson,
    mcnemar_exact,
    newcombe_difference,
    non_inferiority,
    paired_difference,
    rate_below_threshold,
)
from safetyloop.stats._compare import _regression_mask


@given(st.integers(0, 300), st.integers(0, 300), st.integers(0, 50))
def test_mcnemar_matches_statsmodels_and_binomtest(b: int, c: int, a: int) -> None:
    res = mcnemar_exact(b, c)
    ref = mcnemar([[a, b], [c, a]], exact=True)
    assert res.p_two_sided == pytest.approx(min(1.0, ref.pvalue), rel=1e-9)
    if b + c:
        assert res.p_candidate_worse == pytest.approx(
            stats.binomtest(b, b + c, 0.5, alternative="greater").pvalue, rel=1e-9
        )
        assert res.p_candidate_better == pytest.approx(
            stats.binomtest(b, b + c, 0.5, alternative="less").pvalue, rel=1e-9
        )
    else:
        assert (res.p_two_sided, res.p_candidate_worse, res.p_candidate_better) == (1, 1, 1)


@given(
    st.integers(1, 1000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))),
    st.sampled_from([0.01, 0.05, 0.1, 0.3]),
    st.sampled_from([0.01, 0.025, 0.05, 0.1]),
)
def test_rate_below_threshold_matches_binomtest(
    c: tuple[int, int], threshold: float, alpha: float
) -> None:
    e, n = c
    res = rate_below_threshold(e, n, threshold, alpha)
    ref = stats.binomtest(e, n, threshold, alternative="less").pvalue
    assert res.p_value == pytest.approx(ref, rel=1e-9)
    assert res.upper_bound == pytest.approx(clopper_pearson(e, n, 1 - 2 * alpha).high)
    # duality of the exact test and the one-sided exact bound
    if abs(res.p_value - alpha) > 1e-9:
        assert res.below == (res.upper_bound < threshold)


def test_rate_below_threshold_without_cases_is_not_below() -> None:
    assert not rate_below_threshold(0, 0, 0.05).below


def test_orientation_candidate_worse_is_a_regression() -> None:
    res = non_inferiority((60, 400), (20, 400), margin=0.02, alpha=0.05)
    assert res.difference.point == pytest.approx(0.1)
    assert res.regression and not res.non_inferior
    assert res.p_regression < 0.05
    better = non_inferiority((20, 400), (60, 400), margin=0.02, alpha=0.05)
    assert better.non_inferior and not better.regression


def test_unpaired_interval_is_newcombe_at_one_minus_two_alpha() -> None:
    res = non_inferiority((13, 150), (9, 160), margin=0.01, alpha=0.025)
    ref = newcombe_difference(13, 150, 9, 160, 0.95)
    assert res.difference == ref
    assert not res.paired and res.mcnemar is None


@given(
    st.integers(1, 300).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))),
    st.integers(1, 300).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))),
    st.sampled_from([0.0, 0.01, 0.05]),
    st.sampled_from([0.025, 0.05, 0.1]),
)
def test_unpaired_p_value_agrees_with_interval_decision(
    cand: tuple[int, int], base: tuple[int, int], margin: float, alpha: float
) -> None:
    res = non_inferiority(cand, base, margin, alpha)
    if abs(res.p_regression - alpha) > 1e-6:
        assert res.regression == (res.p_regression < alpha)
    if abs(res.p_non_inferiority - alpha) > 1e-6:
        assert res.non_inferior == (res.p_non_inferiority < alpha)
    assert not (res.regression and res.non_inferior)
    vec = _regression_mask(
        np.array([cand[0]]), cand[1], np.array([base[0]]), base[1], margin, alpha
    )
    assert bool(vec[0]) == res.regression


def test_paired_uses_tango_and_reports_mcnemar() -> None:
    # 200 shared cases: candidate violates 30, baseline 12; 22 only-candidate, 4 only-baseline.
    res = non_inferiority((30, 200), (12, 200), margin=0.0, alpha=0.05, paired=(22, 4))
    assert res.paired and res.difference == paired_difference(22, 4, 200, 0.9)
    assert res.mcnemar == mcnemar_exact(22, 4)
    assert res.regression and res.p_regression < 0.05
    # at margin 0 Tango's p-value is the asymptotic one-sided McNemar p-value
    assert res.p_regression == pytest.approx(stats.norm.sf((22 - 4) / np.sqrt(26)))


@given(
    st.integers(0, 30), st.integers(0, 30), st.integers(0, 100), st.sampled_from([0.0, 0.02, 0.1])
)
def test_paired_p_value_agrees_with_interval_decision(
    b: int, c: int, both: int, margin: float
) -> None:
    n = b + c + both + 20
    res = non_inferiority((b + both, n), (c + both, n), margin, 0.05, paired=(b, c))
    if abs(res.p_regression - 0.05) > 1e-6:
        assert res.regression == (res.p_regression < 0.05)


@pytest.mark.parametrize(
    ("cand", "base", "paired"),
    [((10, 100), (5, 90), (5, 0)), ((10, 100), (5, 100), (4, 0)), ((10, 100), (5, 100), (11, 6))],
)
def test_inconsistent_paired_counts_are_refused(
    cand: tuple[int, int], base: tuple[int, int], paired: tuple[int, int]
) -> None:
    with pytest.raises(ValueError):
        non_inferiority(cand, base, 0.0, 0.05, paired=paired)


@pytest.mark.parametrize(("margin", "alpha"), [(-0.1, 0.05), (1.0, 0.05), (0.0, 0.0), (0.0, 0.6)])
def test_bad_margin_or_alpha_refused(margin: float, alpha: float) -> None:
    with pytest.raises(ValueError):
        non_inferiority((1, 10), (1, 10), margin, alpha)
