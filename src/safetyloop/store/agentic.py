"""Agentic runs' persistence: the run (kind `agentic` in the one run ledger) and one episode
row per planned case, holding that case's trajectory and outcome once it finished.

Capability and sabotage evaluations are episodic runs of the same shape: they use these
functions with their own `kind` (`CAPABILITY`, `SABOTAGE`) and keep their episodes here too.

The records are kept as JSON; `safetyloop.agentic` turns them back into its typed records.
A case is finished at most once: `finish_episode` writes only an episode still pending, so a
resumed run (or a second process) can never store a case twice.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select, update

from safetyloop.store._agentic_schema import AgenticEpisodeRow
from safetyloop.store._runs import NewRun, RunInfo
from safetyloop.store._schema import AGENTIC, RunRow
from safetyloop.store._store import Store

__all__ = [
    "CAPABILITY",
    "SABOTAGE",
    "TASKS",
    "AgenticRunRecord",
    "EpisodeRecord",
    "claim_run",
    "episodes",
    "finish_episode",
    "finish_run",
    "get_run",
    "hold_run",
    "latest_finished_of_target",
    "plan_episodes",
]

#: The ledger's kinds for capability elicitation and sabotage evaluations (episodic runs).
CAPABILITY = "capability"
SABOTAGE = "sabotage"

#: Where an agentic run keeps its task set's hash in the ledger (the task set is its "suite").
TASKS = "agentic_tasks"


class AgenticRunRecord(BaseModel):
    """A stored agentic run: its plan, lineage and state."""

    model_config = ConfigDict(frozen=True)

    id: str
    plan_hash: str
    status: str
    created_at: datetime
    finished_at: datetime | None
    target_name: str
    target_version: str
    tasks_version: str
    lineage: dict[str, Any]


class EpisodeRecord(BaseModel):
    """A planned episode: its case, and its trajectory and outcome once done."""

    model_config = ConfigDict(frozen=True)

    case_key: str
    position: int
    case: dict[str, Any]
    status: str  # pending | done
    trajectory: dict[str, Any] | None
    outcome: dict[str, Any] | None
    finished_at: datetime | None


def _record(info: RunInfo) -> AgenticRunRecord:
    return AgenticRunRecord(
        id=info.id,
        plan_hash=info.plan_hash,
        status=info.status,
        created_at=info.created_at,
        finished_at=info.finished_at,
        target_name=info.target_name,
        target_version=info.target_version,
        tasks_version=str(info.suite_versions.get(TASKS, "")),
        lineage=info.lineage,
    )


def claim_run(
    store: Store,
    *,
    plan_hash: str,
    target_name: str,
    target_version: str,
    tasks_version: str,
    lineage: dict[str, Any],
    kind: str = AGENTIC,
) -> tuple[AgenticRunRecord, bool]:
    """The unfinished agentic run of this plan, else a new one; and whether it is new.

    Found or created in one locked transaction (`Store.claim_run`), so two processes starting
    the same plan share one run. Its episodes are planned by `plan_episodes`.
    """
    info, created = store.claim_run(
        NewRun(
            kind=kind,
            plan_hash=plan_hash,
            target_name=target_name,
            target_version=target_version,
            constitution_hash="",
            scorer_versions={},
            suite_versions={TASKS: tasks_version},
            lineage=lineage,
        ),
        [],
    )
    return _record(info), created


def hold_run(
    store: Store, run_id: str, on_wait: Callable[[], None] | None = None
) -> AbstractContextManager[None]:
    """Execute the run alone (the ledger's run lock, released when the holder dies)."""
    return store.hold_run(run_id, on_wait)


def plan_episodes(store: Store, run_id: str, cases: Sequence[tuple[str, dict[str, Any]]]) -> None:
    """Add every planned case (`(key, case)`) the run does not hold yet, as pending.

    Idempotent: a run interrupted between its creation and its plan gets the rest here.
    """
    with store.session() as s:
        have = set(
            s.scalars(
                select(AgenticEpisodeRow.case_key).where(AgenticEpisodeRow.run_id == run_id)
            ).all()
        )
        s.add_all(
            AgenticEpisodeRow(run_id=run_id, case_key=key, position=i, case=case, status="pending")
            for i, (key, case) in enumerate(cases)
            if key not in have
        )


def finish_episode(
    store: Store,
    run_id: str,
    case_key: str,
    *,
    trajectory: dict[str, Any],
    outcome: dict[str, Any],
    at: datetime,
) -> bool:
    """Store a finished episode; False (and nothing written) when it was already done."""
    with store.session() as s:
        done = s.execute(
            update(AgenticEpisodeRow)
            .where(
                AgenticEpisodeRow.run_id == run_id,
                AgenticEpisodeRow.case_key == case_key,
                AgenticEpisodeRow.status == "pending",
            )
            .values(status="done", trajectory=trajectory, outcome=outcome, finished_at=at)
        )
        return bool(getattr(done, "rowcount", 0))


def episodes(store: Store, run_id: str) -> list[EpisodeRecord]:
    """Every planned episode of the run, in planned order."""
    with store.session() as s:
        rows = s.scalars(
            select(AgenticEpisodeRow)
            .where(AgenticEpisodeRow.run_id == run_id)
            .order_by(AgenticEpisodeRow.position)
        ).all()
        return [EpisodeRecord.model_validate(r, from_attributes=True) for r in rows]


def finish_run(store: Store, run_id: str, at: datetime) -> None:
    store.finish_run(run_id, at)


def get_run(store: Store, ref: str, kind: str = AGENTIC) -> AgenticRunRecord:
    """An agentic run (or one of `kind`) by id, unique id prefix, or `latest`."""
    return _record(store.get_run(ref, kind=kind))


def latest_finished_of_target(
    store: Store, target_version: str, kind: str = AGENTIC
) -> AgenticRunRecord | None:
    """The newest finished agentic run (or one of `kind`) of this target version (the gate's
    default evidence)."""
    with store.session() as s:
        row = s.scalars(
            select(RunRow)
            .where(
                RunRow.kind == kind,
                RunRow.target_version == target_version,
                RunRow.status == "finished",
            )
            .order_by(RunRow.created_at.desc())
        ).first()
        run_id = row.id if row is not None else None
    return get_run(store, run_id, kind) if run_id is not None else None
