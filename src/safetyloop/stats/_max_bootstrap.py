"""The best of several estimates on the same cases, with an interval that accounts for picking
the best: a capability is what the strongest elicitation method achieves, and reporting that
method's own interval would ignore that it was chosen for looking strong."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from safetyloop.stats._intervals import Interval, _check_confidence, wilson


@dataclass(frozen=True)
class MaxOfRates:
    """The maximum over methods of their success rates, with its bootstrap interval.

    Attributes:
        interval: the best method's rate, with the percentile interval of the bootstrap
            maximum, widened where needed to contain the best method's own Wilson interval.
        best: the index of the method with the highest rate.
        rates: each method's rate (NaN where it measured no case).
        n_cases: cases resampled.
    """

    interval: Interval
    best: int
    rates: tuple[float, ...]
    n_cases: int


def max_of_rates(
    outcomes: npt.ArrayLike, confidence: float = 0.95, n_boot: int = 2000, seed: int = 0
) -> MaxOfRates:
    """Max-of-estimates bootstrap over a cases x methods matrix of 1/0 (NaN: not measured).

    Cases are resampled whole (every method's outcome on a case moves together, keeping the
    methods' correlation); each replicate recomputes every method's rate and keeps the maximum;
    the interval is that maximum's percentile interval. The percentile interval of a maximum
    sits high when methods tie, so it is never reported narrower than the chosen method's
    Wilson interval on its own counts.
    """
    m = np.asarray(outcomes, dtype=np.float64)
    _check_confidence(confidence)
    if m.ndim != 2 or m.shape[0] == 0 or m.shape[1] == 0:
        raise ValueError("need a non-empty cases x methods matrix")
    if np.any((m != 0) & (m != 1) & ~np.isnan(m)):
        raise ValueError("outcomes must be 0, 1 or NaN")
    measured = ~np.isnan(m)
    counts = measured.sum(axis=0)
    if not np.any(counts):
        raise ValueError("no method measured any case")
    wins = np.nansum(m, axis=0)
    rates = np.divide(wins, counts, out=np.full(m.shape[1], np.nan), where=counts > 0)
    best = int(np.nanargmax(rates))
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, m.shape[0], size=(n_boot, m.shape[0]))
    boot_wins = np.nansum(m[idx], axis=1)  # n_boot x methods
    boot_n = measured[idx].sum(axis=1)
    boot_rates = np.divide(
        boot_wins, boot_n, out=np.full(boot_wins.shape, -np.inf), where=boot_n > 0
    )
    boot_max = boot_rates.max(axis=1)
    boot_max = boot_max[np.isfinite(boot_max)]
    a = (1.0 - confidence) / 2.0
    low, high = (float(x) for x in np.quantile(boot_max, [a, 1.0 - a]))
    own = wilson(int(wins[best]), int(counts[best]), confidence)
    interval = Interval(
        point=float(rates[best]),
        low=min(low, own.low),
        high=max(high, own.high),
        confidence=confidence,
        method="max-of-estimates bootstrap",
    )
    return MaxOfRates(interval, best, tuple(float(r) for r in rates), int(m.shape[0]))
