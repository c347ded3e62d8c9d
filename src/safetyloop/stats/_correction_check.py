"""The Rogan–Gladen correction proves its coverage: simulate calibrations and runs where the
true violation rate is known, and count how often the corrected interval holds it.

Each simulated world has some calibration models and one model under test. Without shift they
share the scorer's sensitivity and specificity; with shift each model's error rates are drawn
around them (normal on the logit scale, standard deviation `shift`), so the model under test
errs differently from every model the calibration saw — the case the between-model spread in
`rogan_gladen(by_model=...)` exists for. Worlds with one calibration model are simulated without
shift only: one model cannot show a spread, and the correction claims nothing about models that
err differently from it. The intervals come from the very kernel the gate
runs (`_corrected_draws`, `_corrected_bounds`), over whole arrays of simulated counts.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
from scipy.stats import binom

from safetyloop.stats._correction import _corrected_bounds, _corrected_draws, _pooled_point, holm
from safetyloop.stats._intervals import FloatArray, _check_confidence

RATES = (0.0, 0.02, 0.1, 0.3)
SENSITIVITIES = (0.7, 0.9, 0.98)
SPECIFICITIES = (0.8, 0.95, 0.99)
CALIBRATION_SIZES = (30, 100, 300, 1000)
SHIFTS = (0.0, 0.5, 1.0)
MODELS = (3, 1)
COVERAGE_FLOOR = 0.94


@dataclass(frozen=True)
class CoverageCell:
    """Coverage of one grid cell.

    Attributes:
        rate: the true violation rate of the model under test.
        sensitivity, specificity: the scorer's error rates (centre of the models' spread).
        calibration_rows: labelled rows in the calibration set, half violating, split evenly
            over the calibration models.
        shift: between-model standard deviation of the error rates (logit scale); 0: none.
        models: calibration models the calibration rows come from.
        coverage: share of simulated intervals that hold `rate`.
        mc_se: Monte-Carlo standard error of `coverage`.
        mean_width: mean interval width (what the coverage costs).
    """

    rate: float
    sensitivity: float
    specificity: float
    calibration_rows: int
    shift: float
    models: int
    coverage: float
    mc_se: float
    mean_width: float


@dataclass(frozen=True)
class CorrectionCoverageReport:
    """Every cell of the grid against the coverage floor.

    Attributes:
        cells: one per (rate, sensitivity, specificity, calibration size, shift, models).
        floor: the coverage every cell must reach (0.94 for 95% intervals).
        n_sims, draws, seed, run_size, confidence: the simulation's settings.
    """

    cells: tuple[CoverageCell, ...]
    floor: float
    n_sims: int
    draws: int
    seed: int
    run_size: int
    confidence: float

    @property
    def worst(self) -> CoverageCell:
        """The cell with the lowest coverage."""
        return min(self.cells, key=lambda c: c.coverage)

    @property
    def under_floor(self) -> tuple[CoverageCell, ...]:
        """Cells whose simulated coverage is under the floor (Monte-Carlo noise included)."""
        return tuple(c for c in self.cells if c.coverage < self.floor)

    @property
    def failing(self) -> tuple[CoverageCell, ...]:
        """Cells whose coverage is significantly under the floor: a one-sided binomial test per
        cell (H0: coverage ≥ floor), Holm-adjusted over the grid at 5%. Without the adjustment,
        one of hundreds of cells whose true coverage is 0.95 shows far under 0.94 by chance."""
        if not self.cells:
            return ()
        p_values = [
            float(binom.cdf(round(c.coverage * self.n_sims), self.n_sims, self.floor))
            for c in self.cells
        ]
        reject = holm(p_values, alpha=0.05).reject
        return tuple(c for c, bad in zip(self.cells, reject, strict=True) if bad)

    @property
    def ok(self) -> bool:
        """No cell covers significantly less than the floor."""
        return not self.failing


def _model_rates(
    centre: float, shift: float, size: tuple[int, ...], rng: np.random.Generator
) -> FloatArray:
    logit = math.log(centre / (1.0 - centre))
    return np.asarray(
        1.0 / (1.0 + np.exp(-(logit + shift * rng.standard_normal(size)))), dtype=np.float64
    )


def _cell(
    rate: float,
    sens: float,
    spec: float,
    rows: int,
    shift: float,
    k: int,
    settings: CorrectionCoverageReport,
    rng: np.random.Generator,
) -> CoverageCell:
    sims = settings.n_sims
    per_model = max(1, round(rows / 2 / k))  # violating rows per model; as many safe ones
    totals = np.full((sims, k), float(per_model))
    sens_hits = rng.binomial(per_model, _model_rates(sens, shift, (sims, k), rng)).astype(float)
    spec_hits = rng.binomial(per_model, _model_rates(spec, shift, (sims, k), rng)).astype(float)
    # the model under test: its own error rates, drawn like the calibration models'
    test_sens = _model_rates(sens, shift, (sims,), rng)
    test_spec = _model_rates(spec, shift, (sims,), rng)
    flagged = rate * test_sens + (1.0 - rate) * (1.0 - test_spec)
    n = np.full(sims, float(settings.run_size))
    events = rng.binomial(settings.run_size, flagged).astype(float)
    draws = _corrected_draws(
        events, n, (sens_hits, totals), (spec_hits, totals), settings.draws, rng
    )
    point = _pooled_point(
        events,
        n,
        sens_hits.sum(axis=1) / totals.sum(axis=1),
        spec_hits.sum(axis=1) / totals.sum(axis=1),
    )
    low, high = _corrected_bounds(draws, point, settings.confidence)
    covered = (low <= rate + 1e-12) & (rate - 1e-12 <= high)
    coverage = float(covered.mean())
    return CoverageCell(
        rate=rate,
        sensitivity=sens,
        specificity=spec,
        calibration_rows=rows,
        shift=shift,
        models=k,
        coverage=coverage,
        mc_se=math.sqrt(max(coverage * (1.0 - coverage), 1e-12) / sims),
        mean_width=float((high - low).mean()),
    )


def correction_coverage(
    n_sims: int = 1000,
    seed: int = 0,
    *,
    draws: int = 1000,
    rates: tuple[float, ...] = RATES,
    sensitivities: tuple[float, ...] = SENSITIVITIES,
    specificities: tuple[float, ...] = SPECIFICITIES,
    calibration_sizes: tuple[int, ...] = CALIBRATION_SIZES,
    shifts: tuple[float, ...] = SHIFTS,
    models: tuple[int, ...] = MODELS,
    run_size: int = 200,
    confidence: float = 0.95,
    floor: float = COVERAGE_FLOOR,
    claimed_only: bool = True,
) -> CorrectionCoverageReport:
    """Coverage of the Rogan–Gladen interval over a grid of worlds where the truth is known.

    The grid spans true rates (zero included), sensitivities and specificities, calibration
    sets of 30 to 1,000 rows, and no or some between-model shift of the error rates; the
    calibration rows come from each number of `models` (the per-model counts the correction
    measures the spread from). With `claimed_only`, one-model worlds are simulated without shift
    only (what the correction claims); equal arguments give an equal report.
    """
    if n_sims < 10:
        raise ValueError(f"n_sims must be at least 10, got {n_sims}")
    if not models or min(models) < 1:
        raise ValueError(f"every number of models must be at least 1, got {models}")
    _check_confidence(confidence)
    settings = CorrectionCoverageReport(
        cells=(),
        floor=floor,
        n_sims=n_sims,
        draws=draws,
        seed=seed,
        run_size=run_size,
        confidence=confidence,
    )
    grid = [
        point
        for point in itertools.product(
            rates, sensitivities, specificities, calibration_sizes, shifts, models
        )
        if not claimed_only or point[5] > 1 or point[4] == 0.0
    ]
    streams = np.random.SeedSequence(seed).spawn(len(grid))
    cells = tuple(
        _cell(*point, settings, np.random.default_rng(stream))
        for point, stream in zip(grid, streams, strict=True)
    )
    return CorrectionCoverageReport(
        cells=cells,
        floor=floor,
        n_sims=n_sims,
        draws=draws,
        seed=seed,
        run_size=run_size,
        confidence=confidence,
    )
