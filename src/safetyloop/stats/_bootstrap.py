"""Cluster bootstrap for rates whose cases are not independent."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import stats

from safetyloop.stats._intervals import Interval, _check_confidence, wilson

_CHUNK_CELLS = 4_000_000  # bootstrap draws x clusters materialised at once


@dataclass(frozen=True)
class ClusterBootstrapResult:
    """A pooled rate with an interval that respects clustering.

    Attributes:
        interval: pooled rate Σevents / Σn with the reported interval: the bootstrap interval,
            widened where needed to contain the plain Wilson interval on the pooled counts.
        bootstrap_low: the raw bootstrap lower bound.
        bootstrap_high: the raw bootstrap upper bound.
        n_clusters: clusters (conversations, templates, scenarios) resampled.
        n_boot: bootstrap replicates.
        design_effect: bootstrap variance over the binomial variance of independent cases
            (> 1: clustering inflates uncertainty); NaN when either variance is zero (every case
            has one outcome, or every cluster the same rate): it cannot be estimated.
    """

    interval: Interval
    bootstrap_low: float
    bootstrap_high: float
    n_clusters: int
    n_boot: int
    design_effect: float


def _bootstrap_rates(
    events: np.ndarray, n: np.ndarray, n_boot: int, rng: np.random.Generator
) -> np.ndarray:
    """Pooled rate of each replicate; clusters drawn with replacement, in memory-bounded chunks."""
    k = events.size
    out = np.empty(n_boot)
    rows = max(1, _CHUNK_CELLS // k)
    for start in range(0, n_boot, rows):
        stop = min(n_boot, start + rows)
        idx = rng.integers(0, k, size=(stop - start, k))
        tot_n = n[idx].sum(axis=1)
        tot_e = events[idx].sum(axis=1)
        out[start:stop] = np.divide(tot_e, tot_n, out=np.zeros(stop - start), where=tot_n > 0)
    return out


def cluster_bootstrap(
    events_per_cluster: Sequence[int],
    n_per_cluster: Sequence[int],
    confidence: float = 0.95,
    n_boot: int = 2000,
    seed: int = 0,
    method: Literal["bca", "percentile"] = "bca",
) -> ClusterBootstrapResult:
    """Interval for a pooled violation rate by resampling whole clusters.

    Cases from one multi-turn conversation, jailbreak template or scenario fail together, so
    treating them as independent overstates the evidence. Resampling clusters keeps that
    correlation. BCa (bias-corrected and accelerated, acceleration from the leave-one-cluster-out
    jackknife) is the default; it costs one extra vector pass.

    The reported interval is never narrower than Wilson on the pooled counts: with few clusters
    or no events at all the bootstrap degenerates (zero events give [0, 0]), and hiding in that
    noise is exactly what the gate must not do.

    Args:
        events_per_cluster: violations in each cluster.
        n_per_cluster: cases in each cluster.
        confidence: two-sided coverage.
        n_boot: bootstrap replicates.
        seed: RNG seed; equal inputs and seed give an identical result.
        method: ``"bca"`` or ``"percentile"``.
    """
    e = np.asarray(events_per_cluster, dtype=np.int64)
    m = np.asarray(n_per_cluster, dtype=np.int64)
    _check_confidence(confidence)
    if method not in ("bca", "percentile"):
        raise ValueError(f"method must be 'bca' or 'percentile', got {method!r}")
    if e.ndim != 1 or e.shape != m.shape:
        raise ValueError("events_per_cluster and n_per_cluster must be flat and of equal length")
    if e.size == 0:
        raise ValueError("cluster_bootstrap needs at least one cluster")
    if np.any(m < 0) or np.any(e < 0) or np.any(e > m):
        raise ValueError("need 0 <= events <= n in every cluster")
    if n_boot < 100:
        raise ValueError(f"n_boot must be at least 100, got {n_boot}")
    total_e, total_n = int(e.sum()), int(m.sum())
    if total_n == 0:
        raise ValueError("cluster_bootstrap needs at least one case")
    rate = total_e / total_n

    rng = np.random.default_rng(seed)
    boot = _bootstrap_rates(e.astype(np.float64), m.astype(np.float64), n_boot, rng)
    a = (1.0 - confidence) / 2.0
    quantiles = np.array([a, 1.0 - a])
    if method == "bca" and e.size > 1 and boot.std() > 0:  # BCa needs spread to correct
        frac_below = np.clip(np.mean(boot < rate) + 0.5 * np.mean(boot == rate), 1e-10, 1 - 1e-10)
        z0 = float(stats.norm.ppf(frac_below))
        rest_n = total_n - m
        jack = np.divide(
            total_e - e, rest_n, out=np.full(e.size, rate, dtype=np.float64), where=rest_n > 0
        )
        dev = jack.mean() - jack
        denom = 6.0 * float(np.sum(dev**2)) ** 1.5
        accel = float(np.sum(dev**3)) / denom if denom > 0 else 0.0
        zq = stats.norm.ppf(quantiles)
        adj = z0 + (z0 + zq) / (1.0 - accel * (z0 + zq))
        quantiles = np.clip(stats.norm.cdf(adj), 0.0, 1.0)
    b_low, b_high = (float(x) for x in np.quantile(boot, quantiles))
    plain = wilson(total_e, total_n, confidence)
    low = min(b_low, plain.low, rate)
    high = max(b_high, plain.high, rate)
    binom_var = rate * (1.0 - rate) / total_n
    boot_var = float(boot.var(ddof=1))
    # Replicates that all share one rate differ only by rounding: that variance is zero too.
    no_spread = boot_var <= 1e-12 * binom_var
    deff = boot_var / binom_var if binom_var > 0 and not no_spread else float("nan")
    return ClusterBootstrapResult(
        interval=Interval(rate, low, high, confidence, f"cluster-bootstrap-{method}"),
        bootstrap_low=b_low,
        bootstrap_high=b_high,
        n_clusters=int(e.size),
        n_boot=n_boot,
        design_effect=deff,
    )
