"""Red teaming's persistence: its runs (kind `redteam` in the one run ledger), conversations
and the events in them.

A conversation's spec is kept as JSON; `safetyloop.redteam` turns it back into an `AttackSpec`.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import delete, select

from safetyloop.store._redteam_schema import RedteamConversationRow, RedteamEventRow
from safetyloop.store._runs import RunInfo
from safetyloop.store._schema import REDTEAM, SCHEMA_VERSION, RunRow
from safetyloop.store._store import Store

__all__ = [
    "ConversationRecord",
    "Event",
    "RedteamRun",
    "append_event",
    "conversations",
    "count_runs",
    "create_run",
    "events",
    "find_unfinished",
    "finish_conversation",
    "finish_run",
    "get_run",
    "run_events",
    "start_conversation",
]

#: Where a red-team run keeps its attack set's hash in the ledger (the set is its "suite").
ATTACK_SET = "attack_set"


class RedteamRun(BaseModel):
    """A stored red-team run."""

    model_config = ConfigDict(frozen=True)

    id: str
    plan_hash: str
    attack_set_hash: str
    status: str
    created_at: datetime
    finished_at: datetime | None
    target_name: str
    target_version: str
    lineage: dict[str, Any]


class ConversationRecord(BaseModel):
    """A stored conversation: its spec as JSON and how it ended (pending/running/ok/error)."""

    model_config = ConfigDict(frozen=True)

    id: int
    spec: dict[str, Any]
    status: str
    success: bool | None
    best_score: float | None
    first_failure_turn: int | None
    turns: int
    backtracks: int
    error: str | None


class Event(BaseModel):
    """One stored turn, backtrack, pruned branch or error."""

    model_config = ConfigDict(frozen=True)

    seq: int
    kind: str
    turn: int
    branch: str
    prompt: str
    response: str | None
    score: float | None
    label: str | None
    refused: bool | None
    data: dict[str, Any]
    at: datetime


def _run(info: RunInfo) -> RedteamRun:
    return RedteamRun(
        id=info.id,
        plan_hash=info.plan_hash,
        attack_set_hash=str(info.suite_versions[ATTACK_SET]),
        status=info.status,
        created_at=info.created_at,
        finished_at=info.finished_at,
        target_name=info.target_name,
        target_version=info.target_version,
        lineage=info.lineage,
    )


def create_run(
    store: Store,
    *,
    plan_hash: str,
    attack_set_hash: str,
    target_name: str,
    target_version: str,
    lineage: dict[str, Any],
    specs: Sequence[tuple[str, dict[str, Any]]],
    at: datetime,
) -> RedteamRun:
    """Record the run and every planned conversation (`(attack key, spec)`) in one transaction."""
    row = RunRow(
        id=uuid.uuid4().hex[:12],
        kind=REDTEAM,
        schema_version=SCHEMA_VERSION,
        plan_hash=plan_hash,
        status="running",
        created_at=at,
        finished_at=None,
        target_name=target_name,
        target_version=target_version,
        constitution_hash="",
        scorer_versions={},
        suite_versions={ATTACK_SET: attack_set_hash},
        lineage=lineage,
    )
    with store.session() as s:
        s.add(row)
        s.flush()
        s.add_all(
            RedteamConversationRow(
                run_id=row.id,
                attack_key=key,
                position=i,
                spec=spec,
                status="pending",
                turns=0,
                backtracks=0,
            )
            for i, (key, spec) in enumerate(specs)
        )
    return get_run(store, row.id)


def find_unfinished(store: Store, plan_hash: str) -> RedteamRun | None:
    info = store.find_unfinished_run(plan_hash, kind=REDTEAM)
    return _run(info) if info else None


def get_run(store: Store, ref: str) -> RedteamRun:
    """A red-team run by id, unique id prefix, or `latest`."""
    return _run(store.get_run(ref, kind=REDTEAM))


def finish_run(store: Store, run_id: str, at: datetime) -> None:
    """Mark the run finished; an unknown id is an error, as for every run."""
    store.finish_run(run_id, at)


def count_runs(store: Store) -> int:
    return store.count_runs(kind=REDTEAM)


def conversations(store: Store, run_id: str) -> list[ConversationRecord]:
    with store.session() as s:
        rows = s.scalars(
            select(RedteamConversationRow)
            .where(RedteamConversationRow.run_id == run_id)
            .order_by(RedteamConversationRow.position)
        ).all()
        return [ConversationRecord.model_validate(r, from_attributes=True) for r in rows]


def start_conversation(store: Store, conversation_id: int) -> None:
    """Mark it running and drop events of an earlier, interrupted attempt (it is redone whole)."""
    with store.session() as s:
        s.execute(delete(RedteamEventRow).where(RedteamEventRow.conversation_id == conversation_id))
        row = s.get(RedteamConversationRow, conversation_id)
        assert row is not None
        row.status = "running"


def append_event(store: Store, conversation_id: int, event: Event) -> None:
    with store.session() as s:
        s.add(RedteamEventRow(conversation_id=conversation_id, **event.model_dump()))


def finish_conversation(
    store: Store,
    conversation_id: int,
    *,
    status: str,
    success: bool | None,
    best_score: float | None,
    first_failure_turn: int | None,
    turns: int,
    backtracks: int,
    error: str | None,
    at: datetime,
) -> None:
    with store.session() as s:
        row = s.get(RedteamConversationRow, conversation_id)
        assert row is not None
        row.status, row.success, row.best_score = status, success, best_score
        row.first_failure_turn, row.turns, row.backtracks = first_failure_turn, turns, backtracks
        row.error, row.finished_at = error, at


def events(store: Store, conversation_id: int) -> list[Event]:
    with store.session() as s:
        rows = s.scalars(
            select(RedteamEventRow)
            .where(RedteamEventRow.conversation_id == conversation_id)
            .order_by(RedteamEventRow.seq)
        ).all()
        return [Event.model_validate(r, from_attributes=True) for r in rows]


def run_events(store: Store, run_id: str) -> dict[int, list[Event]]:
    """Every event of a run, by conversation id."""
    out: dict[int, list[Event]] = {}
    with store.session() as s:
        rows = s.scalars(
            select(RedteamEventRow)
            .join(RedteamConversationRow)
            .where(RedteamConversationRow.run_id == run_id)
            .order_by(RedteamEventRow.conversation_id, RedteamEventRow.seq)
        ).all()
        for r in rows:
            out.setdefault(r.conversation_id, []).append(
                Event.model_validate(r, from_attributes=True)
            )
    return out
