"""Agentic runs live in the store: every episode's trajectory and outcome is stored as it
finishes, `agent show` reads them back, and a run killed with kill -9 resumes without sending a
finished episode again or storing any case twice."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from tests.agentic.scripted_agents import EPISODE_LOG
from tests.cli.invoking import Invoke

from safetyloop.agentic import AgentRunConfig, load_stored_run, load_tasks, plan_cases
from safetyloop.store import Store
from safetyloop.store import agentic as db

ROOT = Path(__file__).resolve().parents[2]
IGNORING = "python:tests.agentic.scripted_agents:ignoring_agent"
SLOW = "python:tests.agentic.scripted_agents:slow_ignoring_agent"


def _store(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'store.db'}"


def test_a_run_is_stored_and_shown_from_the_store(invoke: Invoke, tmp_path: Path) -> None:
    url = _store(tmp_path)
    args = ("agent", "run", "-t", IGNORING, "--env", "support", "--attacks", "tool_knowledge")
    code, out, err = invoke(*args, "--store", url).flat
    assert code == 0, err
    assert "agentic run " in out and "(finished)" in out
    with Store(url) as store:
        run = load_stored_run(store, "latest")
        episodes = db.episodes(store, run.run_id)
    planned = plan_cases(
        load_tasks(), AgentRunConfig(environments=["support"], attacks=["tool_knowledge"])
    )
    assert [e.case_key for e in episodes] == [c.id for c in planned]
    assert all(e.status == "done" and e.trajectory and e.outcome for e in episodes)
    assert run.status == "finished" and len(run.outcomes) == len(planned)
    assert run.metrics.overall.targeted_attack_success.events == 0
    shown = invoke("agent", "show", run.run_id[:6], "--store", url, "--json")
    assert shown.code == 0
    assert json.loads(shown.out) == json.loads(run.metrics.model_dump_json())
    missing = invoke("agent", "show", "nope", "--store", url)
    assert missing.code == 2 and "no agentic run 'nope'" in missing.err


@pytest.fixture(params=["sqlite", "postgresql"])
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return _store(tmp_path)
    url: str = request.getfixturevalue("pg_url")
    return url


def test_an_episode_is_finished_once(any_store: str) -> None:
    with Store(any_store) as store:
        run, created = db.claim_run(
            store, plan_hash="p", target_name="t", target_version="v", tasks_version="k", lineage={}
        )
        again, created_again = db.claim_run(
            store, plan_hash="p", target_name="t", target_version="v", tasks_version="k", lineage={}
        )
        assert created and not created_again and again.id == run.id  # unfinished: resumed
        db.plan_episodes(store, run.id, [("a", {"id": "a"}), ("b", {"id": "b"})])
        db.plan_episodes(store, run.id, [("a", {"id": "a"}), ("b", {"id": "b"})])  # idempotent
        at = datetime(2026, 12, 1, tzinfo=UTC)
        assert db.finish_episode(store, run.id, "a", trajectory={"x": 1}, outcome={"y": 1}, at=at)
        assert not db.finish_episode(store, run.id, "a", trajectory={"x": 2}, outcome={}, at=at)
        eps = db.episodes(store, run.id)
        assert [(e.case_key, e.status, e.trajectory) for e in eps] == [
            ("a", "done", {"x": 1}),
            ("b", "pending", None),
        ]
        assert eps[0].finished_at == at  # aware, UTC


def _episodes_done(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as c:
            return int(
                c.execute(
                    text("SELECT count(*) FROM agentic_episodes WHERE status = 'done'")
                ).scalar_one()
            )
    except Exception:  # the table is not there yet: the run is still starting
        return 0
    finally:
        engine.dispose()


@pytest.mark.slow
def test_a_run_killed_with_kill_9_resumes_each_case_exactly_once(tmp_path: Path) -> None:
    url = _store(tmp_path)
    log = tmp_path / "episodes.jsonl"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAFETYLOOP_")}
    env.update(
        {EPISODE_LOG: str(log), "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}", "NO_COLOR": "1"}
    )
    command = [
        sys.executable, "-m", "safetyloop", "agent", "run", "-t", SLOW, "--env", "slack",
        "--attacks", "tool_knowledge", "--concurrency", "1", "--store", url,
    ]  # fmt: skip
    planned = plan_cases(
        load_tasks(), AgentRunConfig(environments=["slack"], attacks=["tool_knowledge"])
    )
    first = subprocess.Popen(
        command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    deadline = time.monotonic() + 120
    while _episodes_done(url) < 15:
        assert first.poll() is None, first.communicate()[0].decode()
        assert time.monotonic() < deadline, "the first run never got going"
        time.sleep(0.05)
    os.kill(first.pid, signal.SIGKILL)
    first.wait()
    done_at_kill = _episodes_done(url)
    sent_before = len(log.read_text(encoding="utf-8").splitlines())
    assert 15 <= done_at_kill < len(planned)

    resumed = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, timeout=300)
    out = resumed.stdout.decode()
    assert resumed.returncode == 0, out + resumed.stderr.decode()
    assert f"{done_at_kill} of {len(planned)} episodes already done" in out

    with Store(url) as store:
        run = load_stored_run(store, "latest")
        episodes = db.episodes(store, run.run_id)
        assert store.count_runs(kind="agentic") == 1
    keys = Counter(e.case_key for e in episodes)
    assert sorted(keys) == sorted(c.id for c in planned) and set(keys.values()) == {1}
    assert run.status == "finished" and all(e.status == "done" for e in episodes)
    assert sorted(t.case.id for t in run.trajectories) == sorted(c.id for c in planned)
    # Finished episodes were not sent again: the resumed run started only the cases left (at
    # most one more: the episode in flight at the kill, stored by neither run, is redone).
    sent_after = len(log.read_text(encoding="utf-8").splitlines()) - sent_before
    assert sent_after == len(planned) - done_at_kill
    assert sent_before in (done_at_kill, done_at_kill + 1)
    # The figures are those of the ignoring agent on the whole plan: every task, no attack.
    assert run.metrics.overall.targeted_attack_success.events == 0
    assert run.metrics.overall.benign_utility.events == run.metrics.overall.benign_utility.n
