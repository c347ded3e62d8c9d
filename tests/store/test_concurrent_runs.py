"""Identical runs started at the same time cooperate (issue 20, item 5), on SQLite and
PostgreSQL: two and four real processes at once and staggered, on a fresh store (so their
migrations race too): one run, every case sent and answered exactly once, no error recorded,
no verdict stored twice, and an audit chain that still verifies. Before this, such runs aborted
each other (`table runs already exists`, `UNIQUE constraint failed`, errors for cases never
sent).
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

import pytest
from tests.store.concurrent_runs import ROOT, start_runs

from safetyloop.engine import CachedResponse, CaseResult, Runner
from safetyloop.errors import StorageError
from safetyloop.store import NewRun, Store
from safetyloop.suites import Case, Message
from safetyloop.targets import GenerateParams, Target, TargetResponse

pytestmark = pytest.mark.slow


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    url: str = request.getfixturevalue("pg_url")
    return url


@pytest.mark.parametrize(
    ("processes", "stagger_s"),
    [(2, 0.0), (4, 0.0), (4, 0.7)],
    ids=["2-at-once", "4-at-once", "4-staggered"],
)
def test_identical_runs_share_one_run_and_send_each_case_once(
    store_url: str, tmp_path: Path, processes: int, stagger_s: float
) -> None:
    outcome = start_runs(tmp_path, store_url, processes=processes, stagger_s=stagger_s)
    assert outcome.exit_codes == [0] * processes, outcome.output
    assert outcome.runs == 1
    assert outcome.sent == outcome.cases == 40  # every case sent once, by one of the processes
    assert (outcome.lost, outcome.duplicated, outcome.spurious_errors) == (0, 0, 0), outcome
    assert outcome.audit_ok


def test_new_runs_at_once_write_the_cache_idempotently(store_url: str, tmp_path: Path) -> None:
    """`--new` runs of one plan are separate runs; they answer the same requests and both write
    the response cache with the same keys."""
    outcome = start_runs(tmp_path, store_url, processes=2, cache=True, new=True)
    assert outcome.exit_codes == [0, 0], outcome.output
    assert outcome.runs == 2
    assert (outcome.lost, outcome.duplicated, outcome.spurious_errors) == (0, 0, 0), outcome


def test_processes_opening_a_fresh_store_at_once_migrate_it_once(store_url: str) -> None:
    opener = (
        f"import sys; sys.path.insert(0, {str(ROOT / 'src')!r}); "
        f"from safetyloop.store import Store; Store({store_url!r}).close()"
    )
    started = [
        subprocess.Popen([sys.executable, "-c", opener], stderr=subprocess.PIPE) for _ in range(4)
    ]
    errors = [p.communicate(timeout=120)[1].decode() for p in started]
    assert [p.returncode for p in started] == [0] * 4, errors
    with Store(store_url) as store:
        assert store.count_runs() == 0  # usable, at head


def test_a_second_holder_of_a_run_is_told_and_waits_until_the_first_lets_go(
    store_url: str,
) -> None:
    with Store(store_url) as first, Store(store_url) as second:
        run = first.create_run(
            NewRun(
                plan_hash="p",
                target_name="t",
                target_version="v",
                constitution_hash="c",
                scorer_versions={},
                suite_versions={},
                lineage={},
            ),
            [],
        )
        told: list[str] = []
        held = threading.Event()

        def take() -> None:
            with second.hold_run(run.id, lambda: told.append("waiting")):
                held.set()

        with first.hold_run(run.id):
            waiter = threading.Thread(target=take)
            waiter.start()
            assert not held.wait(timeout=0.5)  # still waiting while the first holds the run
            assert told == ["waiting"]
        waiter.join(timeout=30)
        assert held.is_set() and told == ["waiting"]
        with first.hold_run(run.id, lambda: told.append("again")):
            pass  # free again: nobody is told to wait
        assert told == ["waiting"]


def test_the_cache_keeps_the_first_answer_when_written_twice(tmp_path: Path) -> None:
    with Store(f"sqlite:///{tmp_path / 's.db'}") as store:
        store.cache_put("k", CachedResponse(text="first", finish_reason="stop", metadata={}))
        store.cache_put("k", CachedResponse(text="second", finish_reason="stop", metadata={}))
        hit = store.cache_get("k")
    assert hit is not None and hit.text == "first"


class _ClosingTarget(Target):
    """Answers after a short wait (the first case at once); once closed, a request fails the way
    an HTTP client does after `aclose` ("the client has been closed")."""

    kind = "closing"
    max_concurrency = 8

    def __init__(self) -> None:
        super().__init__("closing", {})
        self.closed = False

    async def generate(self, messages: Sequence[Message], params: GenerateParams) -> TargetResponse:
        if messages[-1].content != "q0":
            await asyncio.sleep(0.05)
        if self.closed:
            raise RuntimeError("Cannot send a request, as the client has been closed.")
        return TargetResponse(text="ok", finish_reason="stop")

    async def aclose(self) -> None:
        self.closed = True


class _RefusingSink:
    """Refuses the first case's write, as a store does a result another process wrote."""

    def __init__(self) -> None:
        self.written: list[CaseResult] = []

    def record_result(self, run_id: str, result: CaseResult) -> None:
        if result.case_key.endswith("c0"):
            raise StorageError(f"run {run_id} already has a result for {result.case_key}")
        self.written.append(result)


def _cases(n: int) -> list[Case]:
    return [
        Case.model_validate(
            {
                "id": f"c{i}",
                "suite": "s",
                "category": "x",
                "messages": [{"role": "user", "content": f"q{i}"}],
                "expected": "refuse",
            }
        )
        for i in range(n)
    ]


def test_a_failing_case_stops_the_others_before_the_client_closes() -> None:
    """The staggered failure of issue 20: one write fails, the caller closes the client (as
    `api.run` does in `finally`), and the cases still in flight used to fail against the closed
    client and be stored as errors, though they were never sent."""
    target, sink = _ClosingTarget(), _RefusingSink()
    runner = Runner(target, GenerateParams(), sink, "run1")  # type: ignore[arg-type]

    async def run_then_close() -> None:
        try:
            await runner.run(_cases(6))
        finally:
            await target.aclose()
            await asyncio.sleep(0.2)  # anything still running would now fail and be recorded

    with pytest.raises(StorageError, match="already has a result"):
        asyncio.run(run_then_close())
    assert [(r.case_key, r.error) for r in sink.written if r.status != "ok"] == []
