"""Red-team runs, conversations and events as the driver sees them.

The tables and queries are the store's (`safetyloop.store.redteam`, runs in the one run ledger);
this module only turns stored specs back into `AttackSpec`s and outcomes into columns.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from safetyloop.redteam._records import AttackSpec, Outcome
from safetyloop.store import Store
from safetyloop.store import redteam as db
from safetyloop.store.redteam import (
    Event,
    RedteamRun,
    append_event,
    count_runs,
    events,
    find_unfinished,
    finish_run,
    get_run,
    run_events,
    start_conversation,
)

__all__ = [
    "Conversation",
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
    return db.create_run(
        store,
        plan_hash=plan_hash,
        attack_set_hash=attack_set_hash,
        target_name=target_name,
        target_version=target_version,
        lineage=lineage,
        specs=[(spec.key, spec.model_dump(mode="json")) for spec in specs],
        at=at,
    )


def conversations(store: Store, run_id: str) -> list[Conversation]:
    return [
        Conversation(**{**c.model_dump(), "spec": AttackSpec.model_validate(c.spec)})
        for c in db.conversations(store, run_id)
    ]


def finish_conversation(store: Store, conversation_id: int, outcome: Outcome, at: datetime) -> None:
    db.finish_conversation(
        store, conversation_id, **outcome.model_dump(exclude={"attack_key"}), at=at
    )
