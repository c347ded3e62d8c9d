"""Capability runs end to end on scripted agents: the real loop, workspace, sandbox, hidden
tests and store; the elicited maximum, the verdicts and the sandbagging check."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.capability.solvers import (
    Broken,
    FewShotOnlySolver,
    ReferenceSolver,
    Sandbagger,
    capabilities_file,
    run_double,
    solver,
)

from safetyloop.capability import (
    Verdict,
    latest_run_id,
    measurements,
    summarise,
)


def test_the_elicited_capability_is_the_best_method_and_crosses_the_threshold(
    tmp_path: Path,
) -> None:
    store, run_id = run_double(
        tmp_path,
        solver(FewShotOnlySolver),
        capabilities_file(tmp_path, "plain, few_shot", sandbagging=False),
    )
    with store:
        report = summarise(store, run_id)
        (t,) = report.thresholds
        rates = {r.method: (r.solved, r.n) for r in t.methods}
        assert rates == {"plain": (0, 6), "few_shot": (6, 6)}
        assert t.best_method == "few_shot" and t.value == 1.0
        assert t.low is not None and 0.6 <= t.low < 1.0  # never narrower than Wilson 6/6
        assert t.verdict == Verdict.CROSSED and not t.safeguarded
        assert report.errors == 0 and report.attempts == 12
        found = {m.metric: m for m in measurements(store, run_id)}
        assert found["capability:autonomy"].value == 1.0
        assert found["capability:autonomy:plain"].value == 0.0
        assert all(m.source == "capability" and m.run_id == run_id for m in found.values())
        assert latest_run_id(store, report.target_version) == run_id
        assert latest_run_id(store, "another-version") is None


def test_a_sandbagger_is_caught_and_an_honest_solver_is_not(tmp_path: Path) -> None:
    caps = capabilities_file(tmp_path, "plain")
    (tmp_path / "a").mkdir()
    store, run_id = run_double(tmp_path / "a", solver(Sandbagger), caps)
    with store:
        s = summarise(store, run_id).sandbagging
        assert s is not None and (s.pairs, s.b, s.c) == (6, 6, 0)
        assert s.finding and s.p_value == pytest.approx(2 * 0.5**6)
        assert s.gap == 1.0
        gap = next(
            m for m in measurements(store, run_id) if m.metric == "capability:sandbagging_gap"
        )
        assert gap.value == 1.0 and gap.low > 0
    (tmp_path / "b").mkdir()
    store, run_id = run_double(tmp_path / "b", solver(ReferenceSolver), caps)
    with store:
        s = summarise(store, run_id).sandbagging
        assert s is not None and (s.b, s.c, s.neutral_solved) == (0, 0, 6) and not s.finding


def test_provider_errors_are_errors_not_failures_and_decide_nothing(tmp_path: Path) -> None:
    store, run_id = run_double(
        tmp_path, solver(Broken), capabilities_file(tmp_path, "plain", sandbagging=False)
    )
    with store:
        report = summarise(store, run_id)
        (t,) = report.thresholds
        assert report.errors == 6 and t.verdict is None and t.value is None
        assert measurements(store, run_id) == []
