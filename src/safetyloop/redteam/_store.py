"""Red-team queries on the store: runs, conversations and events (tables in `_schema`)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import delete, func, select

from safetyloop.errors import InputError
from safetyloop.redteam._records import AttackSpec, Outcome
from safetyloop.redteam._schema import RedteamConversationRow, RedteamEventRow, RedteamRunRow
from safetyloop.store import Store


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


class Conversation(BaseModel):
    """A stored conversation: its spec and how it ended (status pending/running/ok/error)."""

    model_config = ConfigDict(frozen=True)

    id: int
    spec: AttackSpec
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


def _run(row: RedteamRunRow) -> RedteamRun:
    return RedteamRun.model_validate(row, from_attributes=True)


def _conversation(row: RedteamConversationRow) -> Conversation:
    return Conversation(
        id=row.id,
        spec=AttackSpec.model_validate(row.spec),
        status=row.status,
        success=row.success,
        best_score=row.best_score,
        first_failure_turn=row.first_failure_turn,
        turns=row.turns,
        backtracks=row.backtracks,
        error=row.error,
    )


def create_run(
    store: Store,
    *,
    plan_hash: str,
    attack_set_hash: str,
    target_name: str,
    target_version: str,
    lineage: dict[str, Any],
    specs: list[AttackSpec],
    at: datetime,
) -> RedteamRun:
    """Record the run and every planned conversation in one transaction."""
    row = RedteamRunRow(
        id=uuid.uuid4().hex[:12],
        plan_hash=plan_hash,
        attack_set_hash=attack_set_hash,
        status="running",
        created_at=at,
        finished_at=None,
        target_name=target_name,
        target_version=target_version,
        lineage=lineage,
    )
    with store.session() as s:
        s.add(row)
        s.flush()
        s.add_all(
            RedteamConversationRow(
                run_id=row.id,
                attack_key=spec.key,
                position=i,
                spec=spec.model_dump(mode="json"),
                status="pending",
                turns=0,
                backtracks=0,
            )
            for i, spec in enumerate(specs)
        )
    return _run(row)


def find_unfinished(store: Store, plan_hash: str) -> RedteamRun | None:
    with store.session() as s:
        row = s.scalars(
            select(RedteamRunRow)
            .where(RedteamRunRow.plan_hash == plan_hash, RedteamRunRow.status == "running")
            .order_by(RedteamRunRow.created_at.desc())
        ).first()
        return _run(row) if row else None


def get_run(store: Store, ref: str) -> RedteamRun:
    """A red-team run by id, unique id prefix, or `latest`."""
    with store.session() as s:
        if ref == "latest":
            row = s.scalars(select(RedteamRunRow).order_by(RedteamRunRow.created_at.desc())).first()
        else:
            rows = s.scalars(select(RedteamRunRow).where(RedteamRunRow.id.startswith(ref))).all()
            if len(rows) > 1:
                raise InputError(f"red-team run reference {ref!r} is ambiguous")
            row = rows[0] if rows else None
        if row is None:
            raise InputError(
                f"no red-team run {ref!r} in {store.url}",
                hint="start one with `safetyloop redteam run`",
            )
        return _run(row)


def finish_run(store: Store, run_id: str, at: datetime) -> None:
    with store.session() as s:
        row = s.get(RedteamRunRow, run_id)
        if row is not None:
            row.status, row.finished_at = "finished", at


def conversations(store: Store, run_id: str) -> list[Conversation]:
    with store.session() as s:
        rows = s.scalars(
            select(RedteamConversationRow)
            .where(RedteamConversationRow.run_id == run_id)
            .order_by(RedteamConversationRow.position)
        ).all()
        return [_conversation(r) for r in rows]


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


def finish_conversation(store: Store, conversation_id: int, outcome: Outcome, at: datetime) -> None:
    with store.session() as s:
        row = s.get(RedteamConversationRow, conversation_id)
        assert row is not None
        row.status = outcome.status
        row.success = outcome.success
        row.best_score = outcome.best_score
        row.first_failure_turn = outcome.first_failure_turn
        row.turns = outcome.turns
        row.backtracks = outcome.backtracks
        row.error = outcome.error
        row.finished_at = at


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


def count_runs(store: Store) -> int:
    with store.session() as s:
        return int(s.scalar(select(func.count()).select_from(RedteamRunRow)) or 0)
