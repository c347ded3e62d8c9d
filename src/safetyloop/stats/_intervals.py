"""Confidence intervals for a proportion (pure functions over counts)."""

from __future__ import annotations

from dataclasses import dataclass

from statsmodels.stats.proportion import proportion_confint


@dataclass(frozen=True)
class Interval:
    """A rate with its two-sided interval at `confidence`."""

    point: float
    low: float
    high: float
    confidence: float
    method: str


def wilson(events: int, n: int, confidence: float = 0.95) -> Interval:
    """Wilson score interval; for n == 0 the honest answer is the whole of [0, 1]."""
    if n < 0 or events < 0 or events > n:
        raise ValueError(f"need 0 <= events <= n, got events={events}, n={n}")
    if n == 0:
        return Interval(0.0, 0.0, 1.0, confidence, "wilson")
    low, high = proportion_confint(events, n, alpha=1 - confidence, method="wilson")
    return Interval(events / n, max(0.0, float(low)), min(1.0, float(high)), confidence, "wilson")
