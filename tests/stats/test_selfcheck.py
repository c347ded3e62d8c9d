"""The statistics prove themselves (few simulations here; the CLI runs the full check)."""

from __future__ import annotations

import time

from safetyloop.stats import selfcheck


def test_fast_selfcheck_meets_all_three_bounds() -> None:
    report = selfcheck(n_sims=400, seed=11)
    assert report.false_block_ok, report
    assert report.coverage_ok, report
    assert report.detection_ok, report
    assert report.ok
    assert report.coverage_exact >= 0.94


def test_selfcheck_is_deterministic() -> None:
    assert selfcheck(n_sims=200, seed=3) == selfcheck(n_sims=200, seed=3)


def test_full_selfcheck_is_fast_and_passes() -> None:
    start = time.perf_counter()
    report = selfcheck(n_sims=2000, seed=0)
    assert time.perf_counter() - start < 5.0
    assert report.ok, report
