"""Red-team metrics against hand-computed values, plus properties of the intervals."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from safetyloop.redteam._records import AttackResult
from safetyloop.redteam.metrics import (
    coverage_grid,
    erosion_slope,
    first_failure_turns,
    success_by,
    success_rate,
)
from safetyloop.stats import wilson


def _r(
    family: str = "pair",
    category: str = "cyber",
    success: bool | None = True,
    request: str = "harmbench/a",
    cluster: str = "pair",
    first: int | None = None,
    turns: list[tuple[int, bool]] | None = None,
) -> AttackResult:
    return AttackResult(
        key=f"{family}/{request}/{cluster}",
        strategy=family,
        family=family,
        technique="",
        cluster=cluster,
        request=request,
        category=category,
        success=success,
        first_failure_turn=first if success else None,
        turn_violations=turns or [],
    )


def test_success_rate_with_one_cluster_is_wilson_and_errors_are_apart() -> None:
    results = [_r(success=True), _r(success=False), _r(success=False), _r(success=None)]
    rate = success_rate(results)
    expected = wilson(1, 3)
    assert (rate.n, rate.events, rate.errors) == (3, 1, 1)
    assert math.isclose(rate.rate, 1 / 3)
    assert (rate.low, rate.high, rate.method) == (expected.low, expected.high, "wilson")


def test_success_rate_with_clusters_is_never_narrower_than_wilson() -> None:
    results = [
        _r(success=s, request=f"harmbench/{i % 3}", cluster=f"t{i % 2}")
        for i, s in enumerate([True, True, False, False, True, False, False, False])
    ]
    rate = success_rate(results)
    plain = wilson(3, 8)
    assert rate.method == "cluster-bootstrap"
    assert rate.low <= plain.low and rate.high >= plain.high
    assert math.isclose(rate.rate, 3 / 8)


def test_success_by_family_and_category_counts() -> None:
    results = [
        _r("pair", "cyber", True),
        _r("pair", "chem", False),
        _r("crescendo", "cyber", True),
        _r("crescendo", "cyber", None),
    ]
    by_family = {r.group: (r.events, r.n, r.errors) for r in success_by(results, "family")}
    assert by_family == {"crescendo": (1, 1, 1), "pair": (1, 2, 0)}
    by_category = {r.group: (r.events, r.n) for r in success_by(results, "category")}
    assert by_category == {"chem": (0, 1), "cyber": (2, 2)}


def test_first_failure_turn_distribution() -> None:
    results = [_r(first=1), _r(first=3), _r(first=3), _r(success=False), _r(success=None)]
    assert first_failure_turns(results) == {1: 1, 3: 2}


def test_erosion_slope_matches_the_closed_form() -> None:
    # Two turn indices: turn 1 violated 1/4, turn 2 violated 3/4. The logistic fit is saturated:
    # slope = logit(3/4) - logit(1/4) = 2 ln 3; SE = sqrt(1/1 + 1/3 + 1/3 + 1/1) = sqrt(8/3).
    turns = [(1, True), (1, False), (1, False), (1, False)]
    turns += [(2, True), (2, True), (2, True), (2, False)]
    result = erosion_slope([_r(success=True, turns=turns)])
    assert result.reason == "" and result.n == 8
    assert math.isclose(result.slope, 2 * math.log(3), rel_tol=1e-6)
    half = 1.959963984540054 * math.sqrt(8 / 3)
    assert math.isclose(result.low, 2 * math.log(3) - half, rel_tol=1e-5)
    assert math.isclose(result.high, 2 * math.log(3) + half, rel_tol=1e-5)


def test_erosion_slope_says_why_it_cannot_be_estimated() -> None:
    assert erosion_slope([_r(turns=[(1, False), (2, False), (3, False)])]).reason.startswith(
        "no events at all"
    )
    assert "fewer than 3" in erosion_slope([_r(turns=[(1, True)])]).reason
    assert math.isnan(erosion_slope([]).slope)


def test_a_quasi_separated_erosion_fit_gives_its_reason_not_numbers() -> None:
    # Never violated before turn 3, always after, mixed at turn 3: statsmodels would print a
    # slope near -21 with an interval tens of thousands wide; the slope is infinite.
    turns = [(1, False), (2, False), (3, False), (3, True), (4, True), (5, True)]
    result = erosion_slope([_r(success=True, turns=turns), _r(success=True, turns=turns)])
    assert not result.estimable and result.n == 12
    assert result.reason.startswith("quasi-complete separation") and "turn = 3" in result.reason
    assert math.isnan(result.slope) and math.isnan(result.low) and math.isnan(result.high)


def test_coverage_grid_counts_cells_and_lists_the_thin_ones() -> None:
    results = [
        _r("pair", "cyber"),
        _r("pair", "cyber"),
        _r("pair", "chem"),
        _r("crescendo", "cyber"),
        _r("crescendo", "chem", success=None),  # errors do not cover
    ]
    grid = coverage_grid(results, minimum=2)
    assert grid.cells == {("pair", "cyber"): 2, ("pair", "chem"): 1, ("crescendo", "cyber"): 1}
    assert grid.missing == [("crescendo", "chem"), ("crescendo", "cyber"), ("pair", "chem")]
    assert math.isclose(grid.share_met, 0.25)
    wide = coverage_grid(results, 1, families=["pair", "tap"], categories=["cyber"])
    assert wide.missing == [("tap", "cyber")]


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.booleans(), st.integers(0, 4), st.integers(0, 2)), min_size=1, max_size=30
    )
)
def test_interval_contains_the_point_and_wilson(rows: list[tuple[bool, int, int]]) -> None:
    results = [_r(success=s, request=f"h/{q}", cluster=f"t{c}") for s, q, c in rows]
    rate = success_rate(results)
    plain = wilson(rate.events, rate.n)
    assert 0.0 <= rate.low <= rate.rate <= rate.high <= 1.0
    assert rate.low <= plain.low + 1e-12 and rate.high >= plain.high - 1e-12
