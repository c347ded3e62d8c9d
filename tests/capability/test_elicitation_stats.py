"""The elicited maximum and its interval, and the monitor AUC, against simulation and sklearn."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from safetyloop.stats import auc_interval, max_of_rates


def _simulate(rng: np.random.Generator, rates: list[float], n: int) -> np.ndarray:
    """Cases x methods: each case has a difficulty, so the methods' outcomes are correlated."""
    ease = rng.uniform(0, 1, size=n)
    return (ease[:, None] < np.asarray(rates)[None, :]).astype(float)


@pytest.mark.parametrize("rates", [[0.3, 0.5, 0.45], [0.4, 0.4, 0.4], [0.1, 0.8, 0.2]])
def test_the_max_interval_covers_the_best_method_at_its_nominal_rate(rates: list[float]) -> None:
    rng = np.random.default_rng(7)
    truth = max(rates)
    hits = sum(
        (lambda r: r.interval.low <= truth <= r.interval.high)(
            max_of_rates(_simulate(rng, rates, 40), n_boot=1000, seed=s)
        )
        for s in range(300)
    )
    assert hits / 300 >= 0.93  # nominal 95 %; 300 simulations


def test_the_naive_best_method_interval_would_be_too_high_when_methods_tie() -> None:
    """Why the choice must be accounted for: the best of five tied methods is biased upward."""
    rng = np.random.default_rng(3)
    points = [
        max_of_rates(rng.binomial(1, 0.4, size=(30, 5)), n_boot=200).interval.point
        for _ in range(200)
    ]
    assert np.mean(points) > 0.45


def test_the_point_is_the_best_method_and_not_measured_cases_are_skipped() -> None:
    result = max_of_rates([[1, 0], [1, 1], [0, 0], [1, float("nan")]])
    assert result.best == 0 and result.rates[0] == 0.75 and result.rates[1] == pytest.approx(1 / 3)
    assert result.interval.low <= 0.75 <= result.interval.high


def test_bad_matrices_are_refused() -> None:
    with pytest.raises(ValueError):
        max_of_rates([[2, 0]])
    with pytest.raises(ValueError):
        max_of_rates([[float("nan")]])


def test_auc_matches_sklearn_and_its_interval_holds_it() -> None:
    rng = np.random.default_rng(1)
    pos, neg = rng.normal(1, 1, 25), rng.normal(0, 1, 30)
    result = auc_interval(list(pos), list(neg))
    expected = roc_auc_score([1] * 25 + [0] * 30, [*pos, *neg])
    assert result.point == pytest.approx(expected)
    assert result.low < expected < result.high
    assert auc_interval([1.0, 1.0], [1.0, 1.0]).point == 0.5  # ties count half
    one = auc_interval([0.9], [0.1, 0.2])
    assert (one.point, one.low, one.high) == (1.0, 0.0, 1.0)  # one positive: no bootstrap
