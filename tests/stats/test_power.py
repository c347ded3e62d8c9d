"""Power and sample size: exact sums checked against brute force with the gate's own intervals."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from safetyloop.stats import (
    additional_cases_needed,
    non_inferiority,
    power_below_threshold,
    power_non_inferiority,
    sample_size_below_threshold,
    sample_size_non_inferiority,
    wilson,
)
from safetyloop.stats._power import _fail_kmin, _pass_kmax


def brute_power_below(p: float, n: int, t: float, conf: float = 0.95) -> float:
    return sum(float(stats.binom.pmf(k, n, p)) for k in range(n + 1) if wilson(k, n, conf).high < t)


@given(
    st.integers(1, 400), st.sampled_from([0.01, 0.05, 0.1, 0.3]), st.sampled_from([0.9, 0.95, 0.99])
)
def test_pass_and_fail_counts_are_exact(n: int, t: float, conf: float) -> None:
    kmax = int(_pass_kmax(np.array([n]), t, stats.norm.ppf(1 - (1 - conf) / 2))[0])
    kmin = int(_fail_kmin(np.array([n]), t, stats.norm.ppf(1 - (1 - conf) / 2))[0])
    passing = [k for k in range(n + 1) if wilson(k, n, conf).high < t]
    failing = [k for k in range(n + 1) if wilson(k, n, conf).low > t]
    assert kmax == (max(passing) if passing else -1)
    assert passing == list(range(kmax + 1))
    assert kmin == (min(failing) if failing else n + 1)
    assert failing == list(range(kmin, n + 1))


@pytest.mark.parametrize(("p", "n", "t"), [(0.02, 300, 0.05), (0.0, 50, 0.1), (0.08, 120, 0.1)])
def test_power_below_threshold_is_the_exact_sum(p: float, n: int, t: float) -> None:
    assert power_below_threshold(p, n, t) == pytest.approx(brute_power_below(p, n, t), abs=1e-12)


@pytest.mark.parametrize(("p", "t"), [(0.02, 0.05), (0.0, 0.05), (0.05, 0.1), (0.1, 0.2)])
def test_sample_size_below_threshold_is_minimal_and_sufficient(p: float, t: float) -> None:
    plan = sample_size_below_threshold(p, t, 0.95, 0.8)
    assert plan.power == pytest.approx(brute_power_below(p, plan.n, t), abs=1e-12)
    assert plan.power >= 0.8
    assert all(power_below_threshold(p, m, t) >= 0.8 for m in range(plan.n, plan.n + 150))
    assert power_below_threshold(p, plan.n - 1, t) < 0.8 or plan.n == plan.first_n
    assert power_below_threshold(p, plan.first_n, t) >= 0.8
    assert all(power_below_threshold(p, m, t) < 0.8 for m in range(1, plan.first_n))
    if p > 0:
        assert 0.6 * plan.normal_approximation < plan.n < 1.6 * plan.normal_approximation


def test_sample_size_refuses_an_expected_rate_at_or_over_threshold() -> None:
    with pytest.raises(ValueError, match="not below"):
        sample_size_below_threshold(0.05, 0.05)


def test_additional_cases_settle_a_straddling_verdict() -> None:
    e, n, t = 3, 100, 0.05
    assert wilson(e, n).low < t < wilson(e, n).high  # insufficient evidence now
    more = additional_cases_needed(e, n, t)
    assert more.direction == "pass" and more.additional is not None and more.total is not None
    # brute force: keep the 3 events, the extra cases at the observed 3% rate
    m = more.additional
    brute = sum(
        float(stats.binom.pmf(x, m, 0.03)) for x in range(m + 1) if wilson(e + x, n + m).high < t
    )
    assert more.power == pytest.approx(brute, abs=1e-10) and brute >= 0.8


def test_additional_cases_in_the_failing_direction_and_edge_cases() -> None:
    worse = additional_cases_needed(8, 100, 0.05)
    assert worse.direction == "fail" and worse.additional is not None
    assert additional_cases_needed(0, 400, 0.05).additional == 0  # already below
    assert additional_cases_needed(30, 100, 0.05).direction == "fail"
    assert additional_cases_needed(30, 100, 0.05).additional == 0  # already above
    tie = additional_cases_needed(5, 100, 0.05)
    assert tie.additional is None and tie.direction is None
    with pytest.raises(ValueError):
        additional_cases_needed(0, 0, 0.05)


def brute_comparison(
    pb: float, pc: float, n: int, margin: float, alpha: float
) -> tuple[float, float]:
    reg = ni = 0.0
    for kc in range(n + 1):
        for kb in range(n + 1):
            w = stats.binom.pmf(kc, n, pc) * stats.binom.pmf(kb, n, pb)
            res = non_inferiority((kc, n), (kb, n), margin, alpha)
            reg += w * res.regression
            ni += w * res.non_inferior
    return reg, ni


@pytest.mark.parametrize(("pb", "pc", "n", "margin"), [(0.05, 0.15, 40, 0.0), (0.1, 0.1, 35, 0.05)])
def test_comparison_power_is_the_exact_sum(pb: float, pc: float, n: int, margin: float) -> None:
    res = power_non_inferiority(pb, pc, n, margin, 0.05)
    reg, ni = brute_comparison(pb, pc, n, margin, 0.05)
    assert res.regression == pytest.approx(reg, abs=1e-10)
    assert res.non_inferior == pytest.approx(ni, abs=1e-10)


@settings(max_examples=15, deadline=None)
@given(
    st.sampled_from([0.02, 0.05, 0.1]),
    st.sampled_from([0.03, 0.05, 0.1]),
    st.sampled_from([0.0, 0.01]),
)
def test_sample_size_for_a_planted_regression(pb: float, delta: float, margin: float) -> None:
    plan = sample_size_non_inferiority(pb, pb + delta, margin, 0.05, 0.8)
    assert plan.method == "newcombe-regression"
    assert plan.power >= 0.8
    assert power_non_inferiority(pb, pb + delta, plan.n - 1, margin, 0.05).regression < 0.8


def test_sample_size_for_showing_non_inferiority() -> None:
    plan = sample_size_non_inferiority(0.05, 0.05, margin=0.03, alpha=0.05, power=0.8)
    assert plan.method == "newcombe-non-inferiority" and plan.power >= 0.8
    with pytest.raises(ValueError):
        sample_size_non_inferiority(0.05, 0.08, margin=0.03)


@given(st.sampled_from([0.01, 0.03, 0.05]), st.sampled_from([0.06, 0.1]))
def test_more_power_needs_more_cases(p: float, t: float) -> None:
    assert (
        sample_size_below_threshold(p, t, power=0.9).n
        >= sample_size_below_threshold(p, t, power=0.8).n
    )
