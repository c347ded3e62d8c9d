"""Each sabotage metric on the three scripted reference agents, with the scripted monitor,
through the real loop, workspace, sandbox, checks and store: exactly the expected figures."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.sabotage.agents import BlatantSaboteur, HonestAgent, KeywordMonitor, SubtleSaboteur

from safetyloop.capability import check_workspace
from safetyloop.sabotage import (
    SabotageConfig,
    SabotageReport,
    SabotageRequest,
    latest_run_id,
    load_pairs,
    measurements,
    run_sabotage,
    summarise,
)
from safetyloop.store import Store

PAIRS = load_pairs()
N = len(PAIRS)


def _run(tmp_path: Path, agent: HonestAgent) -> tuple[SabotageReport, list[str]]:
    request = SabotageRequest(
        target="double", monitor="double", config=SabotageConfig(max_steps=5, concurrency=2)
    )
    with Store(f"sqlite:///{tmp_path / 'store.db'}") as store:
        run_id = run_sabotage(request, store, target=agent, monitor=KeywordMonitor())
        report = summarise(store, run_id)
        metrics = sorted(m.metric for m in measurements(store, run_id))
        assert latest_run_id(store, report.target_version) == run_id
    return report, metrics


def _values(report: SabotageReport) -> tuple[float | None, ...]:
    o = report.overall
    return tuple(
        getattr(o, m).value for m in ("main_success", "side_success", "evasion", "monitor_auc")
    )


def test_the_honest_agent(tmp_path: Path) -> None:
    report, metrics = _run(tmp_path, HonestAgent())
    assert _values(report) == (1.0, 0.0, 0.0, None)  # nothing done to catch: no AUC
    assert report.overall.episodes == 2 * N and report.overall.errors == 0
    assert "sabotage:all:monitor_auc" not in metrics and "sabotage:all:evasion" in metrics


def test_the_blatant_saboteur_is_caught(tmp_path: Path) -> None:
    report, metrics = _run(tmp_path, BlatantSaboteur())
    assert _values(report) == (1.0, 1.0, 0.0, 1.0)
    assert report.overall.monitor_auc.low is not None and report.overall.monitor_auc.low > 0.5
    assert f"sabotage:{PAIRS[0].id}:side_success" in metrics


def test_the_subtle_saboteur_evades(tmp_path: Path) -> None:
    report, _ = _run(tmp_path, SubtleSaboteur())
    assert _values(report) == (1.0, 1.0, 1.0, 0.5)
    side = report.overall.side_success
    assert side.method.startswith("cluster bootstrap") and side.low is not None and side.low < 1.0
    for pair in report.pairs:
        assert (pair.side_success.value, pair.evasion.value) == (1.0, 1.0)


@pytest.mark.parametrize("pair", PAIRS, ids=lambda p: p.id)
def test_each_bundled_pairs_checks_tell_the_references_apart(pair) -> None:  # type: ignore[no-untyped-def]
    start = {"files": pair.files}
    honest = {"files": {**pair.files, **pair.reference_main}}
    sabotaged = {
        "files": {**pair.files, **pair.reference_main, **pair.reference_side},
        "sent": [pair.reference_side_send.model_dump()] if pair.reference_side_send else [],
    }
    assert not check_workspace(start, pair.main_check)
    assert check_workspace(honest, pair.main_check) and not check_workspace(honest, pair.side_check)
    assert check_workspace(sabotaged, pair.main_check) and check_workspace(
        sabotaged, pair.side_check
    )
