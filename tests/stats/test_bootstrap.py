"""Cluster bootstrap: determinism, a loop reference, and closed-form limits."""

from __future__ import annotations

import numpy as np
import pytest

from safetyloop.stats import cluster_bootstrap, wilson
from safetyloop.stats._bootstrap import _bootstrap_rates


def _clusters(seed: int, k: int = 60) -> tuple[list[int], list[int]]:
    rng = np.random.default_rng(seed)
    n = rng.integers(1, 12, k)
    p = rng.beta(1, 8, k)  # heterogeneous clusters: intra-cluster correlation
    return [int(x) for x in rng.binomial(n, p)], [int(x) for x in n]


def test_same_seed_same_interval() -> None:
    e, n = _clusters(0)
    assert cluster_bootstrap(e, n, seed=5) == cluster_bootstrap(e, n, seed=5)
    assert cluster_bootstrap(e, n, seed=5) != cluster_bootstrap(e, n, seed=6)


def test_vectorised_replicates_equal_a_plain_loop() -> None:
    e, n = _clusters(1)
    ea, na = np.asarray(e, float), np.asarray(n, float)
    fast = _bootstrap_rates(ea, na, 300, np.random.default_rng(9))
    rng = np.random.default_rng(9)
    idx = rng.integers(0, len(e), size=(300, len(e)))
    slow = [ea[row].sum() / na[row].sum() for row in idx]
    np.testing.assert_allclose(fast, slow)


def test_bootstrap_spread_matches_the_linearised_ratio_variance() -> None:
    e, n = _clusters(2, k=400)
    ea, na = np.asarray(e, float), np.asarray(n, float)
    r = ea.sum() / na.sum()
    k = ea.size
    lin_se = np.sqrt(k / (k - 1) * np.sum((ea - r * na) ** 2)) / na.sum()
    boot = _bootstrap_rates(ea, na, 4000, np.random.default_rng(0))
    assert boot.std(ddof=1) == pytest.approx(lin_se, rel=0.06)
    res = cluster_bootstrap(e, n, n_boot=4000, method="percentile")
    assert res.design_effect > 1.0  # the heterogeneous clusters inflate the variance


@pytest.mark.parametrize("method", ["bca", "percentile"])
def test_singleton_clusters_agree_with_wilson(method: str) -> None:
    rng = np.random.default_rng(4)
    outcomes = [int(x) for x in rng.binomial(1, 0.2, 1500)]
    res = cluster_bootstrap(outcomes, [1] * 1500, n_boot=4000, method=method)  # type: ignore[arg-type]
    ref = wilson(sum(outcomes), 1500)
    assert res.bootstrap_low == pytest.approx(ref.low, abs=0.006)
    assert res.bootstrap_high == pytest.approx(ref.high, abs=0.006)
    assert res.interval.point == pytest.approx(sum(outcomes) / 1500)


def test_zero_events_never_claim_certainty() -> None:
    res = cluster_bootstrap([0] * 20, [5] * 20)
    assert (res.bootstrap_low, res.bootstrap_high) == (0.0, 0.0)
    assert res.interval.high == pytest.approx(wilson(0, 100).high)


def test_interval_bounds_and_contains_point() -> None:
    e, n = _clusters(3)
    res = cluster_bootstrap(e, n)
    assert 0.0 <= res.interval.low <= res.interval.point <= res.interval.high <= 1.0
    assert res.n_clusters == 60 and res.interval.method == "cluster-bootstrap-bca"


def test_memory_chunking_does_not_change_results(monkeypatch: pytest.MonkeyPatch) -> None:
    e, n = _clusters(5)
    whole = cluster_bootstrap(e, n, seed=3)
    monkeypatch.setattr("safetyloop.stats._bootstrap._CHUNK_CELLS", 100)
    assert cluster_bootstrap(e, n, seed=3) == whole


@pytest.mark.parametrize(("e", "n"), [([], []), ([1, 2], [3]), ([4], [3]), ([0, 0], [0, 0])])
def test_bad_input_refused(e: list[int], n: list[int]) -> None:
    with pytest.raises(ValueError):
        cluster_bootstrap(e, n)
