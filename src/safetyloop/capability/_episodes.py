"""Episodic evaluations in the store, shared by capability and sabotage: a run of the one run
ledger (its own `kind`) keyed by its plan, each episode stored as it finishes, resumable.

The persistence is agentic's (`store.agentic`, episodes as JSON); what differs per stage is
only how an episode is executed and what its outcome holds.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from safetyloop._hashing import content_hash
from safetyloop.agentic import Trajectory
from safetyloop.store import Store
from safetyloop.store import agentic as db
from safetyloop.targets import Target

__all__ = ["Executed", "StoredEpisodes", "load_episodes", "run_stored"]

#: An episode's trajectory and its outcome (a JSON-ready dict).
Executed = tuple[Trajectory, dict[str, Any]]


class StoredEpisodes:
    """A stored run's record and its finished episodes (trajectory, outcome)."""

    def __init__(self, record: db.AgenticRunRecord, episodes: list[db.EpisodeRecord]) -> None:
        self.record = record
        self.done = [e for e in episodes if e.status == "done" and e.outcome is not None]
        self.planned = len(episodes)

    @property
    def outcomes(self) -> list[dict[str, Any]]:
        return [e.outcome for e in self.done if e.outcome is not None]


def load_episodes(store: Store, ref: str, kind: str) -> StoredEpisodes:
    """A stored run of `kind` (id, unique prefix or `latest`) with its episodes.

    Raises:
        InputError: no such run.
    """
    record = db.get_run(store, ref, kind)
    return StoredEpisodes(record, db.episodes(store, record.id))


def run_stored(
    store: Store,
    *,
    kind: str,
    target: Target,
    target_name: str,
    suite_version: str,
    plan: dict[str, Any],
    lineage: dict[str, Any],
    cases: Sequence[tuple[str, dict[str, Any]]],
    execute: Callable[[str], Awaitable[Executed]],
    concurrency: int,
    on_result: Callable[[str, dict[str, Any]], None] | None = None,
    also_close: Sequence[Target] = (),
) -> str:
    """Run every planned case not yet stored (`execute(key)`), storing each as it finishes;
    return the run's id. The target (and `also_close`, e.g. a monitor) is closed at the end,
    in the loop that used it."""
    closing = [target, *(t for t in also_close if t is not target)]

    async def close() -> None:
        for t in closing:
            await t.aclose()

    record, _ = db.claim_run(
        store,
        plan_hash=content_hash(plan),
        target_name=target_name,
        target_version=target.version,
        tasks_version=suite_version,
        lineage=lineage,
        kind=kind,
    )
    with db.hold_run(store, record.id):
        record = db.get_run(store, record.id, kind)
        if record.status == "finished":
            asyncio.run(close())
            return record.id
        db.plan_episodes(store, record.id, list(cases))
        pending = [e.case_key for e in db.episodes(store, record.id) if e.status != "done"]
        gate = asyncio.Semaphore(concurrency)

        async def one(key: str) -> None:
            async with gate:
                trajectory, outcome = await execute(key)
            db.finish_episode(
                store,
                record.id,
                key,
                trajectory=trajectory.model_dump(mode="json"),
                outcome=outcome,
                at=datetime.now(UTC),
            )
            if on_result is not None:
                on_result(key, outcome)

        async def go() -> None:
            try:
                await asyncio.gather(*(one(k) for k in pending))
            finally:
                await close()

        asyncio.run(go())
        db.finish_run(store, record.id, datetime.now(UTC))
        return record.id
