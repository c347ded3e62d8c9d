"""The Rogan–Gladen correction covers the true rate: a seeded grid of simulated worlds (zero
rates and 30-row calibration sets included, with and without between-model shift); the full
grid runs in `safetyloop selfcheck correction`."""

from __future__ import annotations

import pytest

from safetyloop.stats import (
    CorrectionCoverageReport,
    CoverageCell,
    RoganGladenResult,
    correction_coverage,
    rogan_gladen,
)


# Corners of the full grid: zero and high rates, the weakest and strongest scorers, the
# smallest and largest calibration sets, no shift and between-model shifts of 0.5 and 1 (logit).
def corners(n_sims: int, seed: int, draws: int) -> CorrectionCoverageReport:
    return correction_coverage(
        n_sims,
        seed,
        draws=draws,
        rates=(0.0, 0.1),
        sensitivities=(0.7, 0.98),
        specificities=(0.8, 0.99),
        calibration_sizes=(30, 1000),
        shifts=(0.0, 0.5, 1.0),
    )


def test_every_corner_covers_at_the_floor() -> None:
    report = corners(400, seed=5, draws=500)
    # three calibration models with and without shift, one model without (it cannot show one)
    assert len(report.cells) == 16 * 4
    assert {(c.models, c.shift) for c in report.cells} == {(3, 0.0), (3, 0.5), (3, 1.0), (1, 0.0)}
    assert {c.rate for c in report.cells} >= {0.0}
    assert {c.calibration_rows for c in report.cells} >= {30}
    # 400 simulations a cell: allow two Monte-Carlo standard errors under the 0.94 floor
    for cell in report.cells:
        assert cell.coverage >= report.floor - 2 * cell.mc_se, cell
    mean = sum(c.coverage for c in report.cells) / len(report.cells)
    assert mean >= 0.95


def test_without_the_spread_a_shifted_model_is_not_covered() -> None:
    """One calibration model cannot show the spread; three can, and the correction uses it."""

    def world(models: int) -> CoverageCell:
        return correction_coverage(
            400,
            seed=2,
            draws=500,
            rates=(0.1,),
            sensitivities=(0.7,),
            specificities=(0.8,),
            calibration_sizes=(1000,),
            shifts=(0.5,),
            models=(models,),
            claimed_only=False,
        ).cells[0]

    one, three = world(1), world(3)
    assert one.coverage < 0.9
    assert three.coverage >= 0.94 - 2 * three.mc_se
    assert three.mean_width > one.mean_width


def test_coverage_report_is_deterministic() -> None:
    assert correction_coverage(
        30, seed=1, draws=200, rates=(0.0,), calibration_sizes=(30,)
    ) == correction_coverage(30, seed=1, draws=200, rates=(0.0,), calibration_sizes=(30,))


def test_by_model_counts_must_add_up() -> None:
    with pytest.raises(ValueError, match="add up"):
        rogan_gladen(10, 100, (90, 100), (95, 100), by_model=[((45, 50), (45, 50))] * 2)


def test_the_wider_models_disagree_the_wider_the_interval() -> None:
    pooled = rogan_gladen(30, 200, (90, 100), (95, 100), seed=3)
    same = rogan_gladen(
        30, 200, (90, 100), (95, 100), seed=3, by_model=[((45, 50), (48, 50)), ((45, 50), (47, 50))]
    )
    apart = rogan_gladen(
        30, 200, (90, 100), (95, 100), seed=3, by_model=[((50, 50), (48, 50)), ((40, 50), (47, 50))]
    )

    def width(r: RoganGladenResult) -> float:
        return r.interval.high - r.interval.low

    assert same.models == apart.models == 2
    # the posterior median spread: never zero from two models (two that agree do not prove a
    # third will), but far larger when they disagree
    assert 0.0 < same.between_sd[0] < apart.between_sd[0] - 0.5
    assert width(pooled) <= width(same) < width(apart) - 0.05
    assert apart.interval.point == pooled.interval.point  # the point is the pooled estimate


def test_a_cell_fails_only_when_significantly_under_the_floor_over_the_whole_grid() -> None:
    """0.923 of 1,000 is under 0.94 by chance once in a few hundred cells (p ≈ 0.013, not
    significant after Holm over 576 cells); 0.90 of 1,000 is not chance (p < 1e-6)."""

    def report(*coverages: float) -> CorrectionCoverageReport:
        cells = tuple(
            CoverageCell(0.1, 0.9, 0.95, 300, 0.0, 3, c, (c * (1 - c) / 1000) ** 0.5, 0.2)
            for c in coverages
        )
        return CorrectionCoverageReport(cells, 0.94, 1000, 1000, 0, 200, 0.95)

    chance = report(0.923, *[0.95] * 575)
    assert chance.under_floor == (chance.cells[0],)
    assert chance.failing == () and chance.ok
    real = report(0.90, *[0.95] * 575)
    assert real.failing == (real.cells[0],) and not real.ok
