"""Intervals against statsmodels/SciPy, closed forms and their defining properties."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import optimize, stats
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

from safetyloop.stats import (
    Interval,
    clopper_pearson,
    newcombe_difference,
    paired_difference,
    wilson,
)
from safetyloop.stats._intervals import _newcombe_bounds, _tango_statistic, _wilson_bounds, _z

CONFIDENCES = st.sampled_from([0.8, 0.9, 0.95, 0.99])


@st.composite
def counts(draw: st.DrawFn, max_n: int = 2000, min_n: int = 1) -> tuple[int, int]:
    n = draw(st.integers(min_n, max_n))
    return draw(st.integers(0, n)), n


@given(counts(), CONFIDENCES)
def test_wilson_matches_statsmodels(c: tuple[int, int], confidence: float) -> None:
    e, n = c
    low, high = proportion_confint(e, n, alpha=1 - confidence, method="wilson")
    ci = wilson(e, n, confidence)
    assert ci.low == pytest.approx(max(0.0, low), abs=1e-12)
    assert ci.high == pytest.approx(min(1.0, high), abs=1e-12)
    assert ci.point == e / n and ci.method == "wilson"


@given(counts(), CONFIDENCES)
def test_clopper_pearson_matches_statsmodels_and_scipy(c: tuple[int, int], conf: float) -> None:
    e, n = c
    low, high = proportion_confint(e, n, alpha=1 - conf, method="beta")
    ci = clopper_pearson(e, n, conf)
    assert ci.low == pytest.approx(low, abs=1e-10)
    assert ci.high == pytest.approx(high, abs=1e-10)
    ref = stats.binomtest(e, n).proportion_ci(confidence_level=conf, method="exact")
    assert ci.low == pytest.approx(ref.low, abs=1e-10)
    assert ci.high == pytest.approx(ref.high, abs=1e-10)


@given(counts(500), counts(500), CONFIDENCES)
def test_newcombe_matches_statsmodels(
    c1: tuple[int, int], c2: tuple[int, int], confidence: float
) -> None:
    low, high = confint_proportions_2indep(
        c1[0], c1[1], c2[0], c2[1], method="newcomb", compare="diff", alpha=1 - confidence
    )
    ci = newcombe_difference(*c1, *c2, confidence)
    assert ci.low == pytest.approx(low, abs=1e-10)
    assert ci.high == pytest.approx(high, abs=1e-10)
    assert ci.point == pytest.approx(c1[0] / c1[1] - c2[0] / c2[1])


@pytest.mark.parametrize("fn", [wilson, clopper_pearson])
@given(c=counts(), confidence=CONFIDENCES)
def test_rate_interval_properties(fn: object, c: tuple[int, int], confidence: float) -> None:
    e, n = c
    ci: Interval = fn(e, n, confidence)  # type: ignore[operator]
    assert 0.0 <= ci.low <= ci.point <= ci.high <= 1.0
    mirror: Interval = fn(n - e, n, confidence)  # type: ignore[operator]
    assert ci.low == pytest.approx(1 - mirror.high, abs=1e-9)
    assert ci.high == pytest.approx(1 - mirror.low, abs=1e-9)


@given(st.integers(1, 50), st.integers(1, 40), CONFIDENCES)
def test_intervals_narrow_as_n_grows_at_fixed_rate(k: int, scale: int, conf: float) -> None:
    # rate 1/3 held fixed: (k, 3k) versus (k·scale·2, 3k·scale·2)
    small_w, big_w = wilson(k, 3 * k, conf), wilson(2 * k * scale, 6 * k * scale, conf)
    assert big_w.high - big_w.low < small_w.high - small_w.low
    small_c, big_c = clopper_pearson(k, 3 * k, conf), clopper_pearson(2 * k * scale, 6 * k * scale)
    if conf == 0.95:
        assert big_c.high - big_c.low < small_c.high - small_c.low


@given(counts(300), counts(300), CONFIDENCES)
def test_newcombe_antisymmetric_and_bounded(
    c1: tuple[int, int], c2: tuple[int, int], confidence: float
) -> None:
    a = newcombe_difference(*c1, *c2, confidence)
    b = newcombe_difference(*c2, *c1, confidence)
    assert a.point == pytest.approx(-b.point)
    assert a.low == pytest.approx(-b.high, abs=1e-12)
    assert a.high == pytest.approx(-b.low, abs=1e-12)
    assert -1.0 <= a.low <= a.point <= a.high <= 1.0


def test_empty_sample_is_the_whole_unit_interval() -> None:
    assert (wilson(0, 0).low, wilson(0, 0).high) == (0.0, 1.0)
    assert (clopper_pearson(0, 0).low, clopper_pearson(0, 0).high) == (0.0, 1.0)


@pytest.mark.parametrize("bad", [(-1, 5), (6, 5), (1, -1)])
def test_bad_counts_are_refused(bad: tuple[int, int]) -> None:
    with pytest.raises(ValueError, match="events"):
        wilson(*bad)
    with pytest.raises(ValueError, match="events"):
        clopper_pearson(*bad)


@pytest.mark.parametrize("confidence", [0.0, 1.0, 1.5])
def test_bad_confidence_is_refused(confidence: float) -> None:
    with pytest.raises(ValueError, match="confidence"):
        wilson(1, 10, confidence)


def test_array_kernels_equal_scalar_functions() -> None:
    rng = np.random.default_rng(3)
    n1, n2 = rng.integers(1, 400, 300), rng.integers(1, 400, 300)
    e1, e2 = rng.binomial(n1, 0.1), rng.binomial(n2, 0.15)
    z = _z(0.9)
    lo, hi = _wilson_bounds(e1, n1, z)
    d, nlo, nhi = _newcombe_bounds(e1, n1, e2, n2, z)
    for i in range(300):
        w = wilson(int(e1[i]), int(n1[i]), 0.9)
        assert (w.low, w.high) == (lo[i], hi[i])
        nc = newcombe_difference(int(e1[i]), int(n1[i]), int(e2[i]), int(n2[i]), 0.9)
        assert (nc.point, nc.low, nc.high) == (d[i], nlo[i], nhi[i])


# --- Tango's paired score interval -----------------------------------------------------------


@given(st.integers(0, 60), st.integers(0, 60), st.integers(0, 200))
def test_tango_at_zero_is_mcnemar_statistic(b: int, c: int, concordant: int) -> None:
    n = b + c + concordant
    if b + c == 0:
        assert _tango_statistic(b, c, n, 0.0) == 0.0
    else:
        assert _tango_statistic(b, c, n, 0.0) == pytest.approx((b - c) / math.sqrt(b + c))


@pytest.mark.parametrize(
    ("b", "c", "n", "delta"), [(7, 2, 100, 0.03), (1, 9, 40, -0.1), (5, 5, 30, 0.2)]
)
def test_tango_nuisance_is_the_restricted_mle(b: int, c: int, n: int, delta: float) -> None:
    """The closed-form q21 must maximise the likelihood under d = delta (numerical check)."""

    def negloglik(q21: float) -> float:
        q12 = q21 + delta
        rest = 1 - q12 - q21
        return -(b * math.log(q12) + c * math.log(q21) + (n - b - c) * math.log(rest))

    lo = max(1e-12, -delta + 1e-12)
    hi = (1 - delta) / 2 - 1e-12
    q_num = optimize.minimize_scalar(
        negloglik, bounds=(lo, hi), method="bounded", options={"xatol": 1e-12}
    ).x
    z_num = (b - c - n * delta) / math.sqrt(n * (2 * q_num + delta * (1 - delta)))
    assert _tango_statistic(b, c, n, delta) == pytest.approx(z_num, rel=1e-5)


@given(st.integers(0, 40), st.integers(0, 40), st.integers(0, 150), CONFIDENCES)
def test_tango_interval_inverts_the_score_test(b: int, c: int, conc: int, conf: float) -> None:
    n = b + c + conc
    if n == 0:
        return
    ci = paired_difference(b, c, n, conf)
    z = _z(conf)
    assert -1.0 <= ci.low <= ci.point <= ci.high <= 1.0
    if ci.low > -1.0:
        assert _tango_statistic(b, c, n, ci.low) == pytest.approx(z, abs=1e-6)
    if ci.high < 1.0:
        assert _tango_statistic(b, c, n, ci.high) == pytest.approx(-z, abs=1e-6)
    swapped = paired_difference(c, b, n, conf)
    assert ci.low == pytest.approx(-swapped.high, abs=1e-9)


def test_tango_approaches_wald_in_large_samples() -> None:
    b, c, n = 3000, 2000, 100_000
    ci = paired_difference(b, c, n, 0.95)
    d = (b - c) / n
    se = math.sqrt((b + c) / n - d * d) / math.sqrt(n)
    assert ci.low == pytest.approx(d - 1.959964 * se, rel=1e-2)
    assert ci.high == pytest.approx(d + 1.959964 * se, rel=1e-2)


def test_paired_difference_refuses_impossible_counts() -> None:
    with pytest.raises(ValueError):
        paired_difference(6, 5, 10)
