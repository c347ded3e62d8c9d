"""The statistics prove themselves: simulate the gate's decisions where the truth is known."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from safetyloop.stats._compare import _check_alpha, _regression_mask
from safetyloop.stats._intervals import _check_confidence, _wilson_bounds, _z
from safetyloop.stats._power import sample_size_non_inferiority

AA_RATES = (0.02, 0.05, 0.1, 0.2)
AA_SIZES = (50, 200, 800)
COVERAGE_RATES = (0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5)
COVERAGE_SIZES = (30, 100, 300, 1000)
COVERAGE_FLOOR = 0.94


@dataclass(frozen=True)
class SelfCheckReport:
    """Three simulated figures, each against the bound it must meet.

    Attributes:
        n_sims: simulations per check (per grid cell for coverage).
        seed: RNG seed; the report is identical for equal arguments.
        alpha: one-sided level of the regression test.
        false_block_rate: A/A (baseline and candidate share a true rate, drawn over
            `AA_RATES` × `AA_SIZES`): share of comparisons the gate flags as a regression.
        false_block_bound: alpha + 3 Monte-Carlo standard errors.
        coverage: share of `confidence` Wilson intervals covering the true rate, pooled over
            `COVERAGE_RATES` × `COVERAGE_SIZES`.
        coverage_exact: the same average computed exactly by summing binomial probabilities.
        coverage_bound: the floor the coverage must reach (0.94 for 95% intervals).
        planned_n: cases per arm the plan asks for to detect the planted regression.
        planned_power: the power the plan was made for.
        detection_rate: share of simulated planted regressions the gate flags.
        detection_bound: planned power − 3 Monte-Carlo standard errors.
    """

    n_sims: int
    seed: int
    alpha: float
    false_block_rate: float
    false_block_bound: float
    coverage: float
    coverage_exact: float
    coverage_bound: float
    planned_n: int
    planned_power: float
    detection_rate: float
    detection_bound: float

    @property
    def false_block_ok(self) -> bool:
        """A/A comparisons block no more often than alpha allows."""
        return self.false_block_rate <= self.false_block_bound

    @property
    def coverage_ok(self) -> bool:
        """Intervals cover the truth at (near) their nominal rate."""
        return self.coverage >= self.coverage_bound

    @property
    def detection_ok(self) -> bool:
        """A regression of the planned size is found at the planned power."""
        return self.detection_rate >= self.detection_bound

    @property
    def ok(self) -> bool:
        """All three figures meet their bounds."""
        return self.false_block_ok and self.coverage_ok and self.detection_ok


def selfcheck(
    n_sims: int = 2000,
    seed: int = 0,
    alpha: float = 0.05,
    confidence: float = 0.95,
    power: float = 0.8,
    baseline_rate: float = 0.05,
    planted_regression: float = 0.05,
    margin: float = 0.0,
) -> SelfCheckReport:
    """Simulate A/A gates, interval coverage and a planted regression with the gate's own rules.

    The decisions are the very kernels behind `non_inferiority` (Newcombe at one-sided `alpha`)
    and `wilson`, applied to whole arrays of simulated counts, so the check exercises what the
    gate runs, not a re-implementation. The regression arm is sized by
    `sample_size_non_inferiority`, i.e. by the plan, never by an observed effect.
    """
    if n_sims < 10:
        raise ValueError(f"n_sims must be at least 10, got {n_sims}")
    _check_alpha(alpha)
    _check_confidence(confidence)
    aa_rng, cov_rng, reg_rng = (
        np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(3)
    )

    # 1. A/A: same true rate on both arms; any flagged regression is a false BLOCK.
    rates = aa_rng.choice(np.array(AA_RATES), size=n_sims)
    sizes = aa_rng.choice(np.array(AA_SIZES), size=n_sims)
    cand = aa_rng.binomial(sizes, rates)
    base = aa_rng.binomial(sizes, rates)
    false_block = float(np.mean(_regression_mask(cand, sizes, base, sizes, margin, alpha)))
    fb_bound = alpha + 3.0 * math.sqrt(alpha * (1.0 - alpha) / n_sims)

    # 2. Coverage of Wilson intervals at known true rates.
    z = _z(confidence)
    p_grid, n_grid = np.meshgrid(np.array(COVERAGE_RATES), np.array(COVERAGE_SIZES))
    p_cells, n_cells = p_grid.ravel(), n_grid.ravel()
    k = cov_rng.binomial(n_cells[:, None], p_cells[:, None], size=(p_cells.size, n_sims))
    low, high = _wilson_bounds(k, n_cells[:, None], z)
    covered = (low <= p_cells[:, None]) & (p_cells[:, None] <= high)
    exact = []
    for p, n in zip(p_cells, n_cells, strict=True):
        ks = np.arange(n + 1)
        lo, hi = _wilson_bounds(ks, n, z)
        exact.append(float(stats.binom.pmf(ks, n, p) @ ((lo <= p) & (p <= hi))))

    # 3. A planted regression of the size the plan was powered for.
    cand_rate = baseline_rate + planted_regression
    plan = sample_size_non_inferiority(baseline_rate, cand_rate, margin, alpha, power)
    cand = reg_rng.binomial(plan.n, cand_rate, size=n_sims)
    base = reg_rng.binomial(plan.n, baseline_rate, size=n_sims)
    detected = float(np.mean(_regression_mask(cand, plan.n, base, plan.n, margin, alpha)))
    det_bound = power - 3.0 * math.sqrt(power * (1.0 - power) / n_sims)

    return SelfCheckReport(
        n_sims=n_sims,
        seed=seed,
        alpha=alpha,
        false_block_rate=false_block,
        false_block_bound=fb_bound,
        coverage=float(covered.mean()),
        coverage_exact=float(np.mean(exact)),
        coverage_bound=COVERAGE_FLOOR,
        planned_n=plan.n,
        planned_power=power,
        detection_rate=detected,
        detection_bound=det_bound,
    )
