"""The run ledger: runs of every kind, their planned cases, and a deployment's releases."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from safetyloop.errors import InputError, StorageError
from safetyloop.store._core import StoreCore, now
from safetyloop.store._locks import CLAIM_LOCK_KEY, run_lock
from safetyloop.store._schema import (
    AGENTIC,
    EVALUATION,
    REDTEAM,
    SCHEMA_VERSION,
    RunCaseRow,
    RunRow,
)
from safetyloop.store._tallies import KEYS_PER_QUERY
from safetyloop.suites import Case

#: How a run is named to people, by kind, and where to find or start one (for errors).
_RUN_NOUN = {
    EVALUATION: "run",
    REDTEAM: "red-team run",
    AGENTIC: "agentic run",
    "capability": "capability run",
    "sabotage": "sabotage run",
    "reward": "reward audit",
}
_RUN_HINT = {
    EVALUATION: "list runs with `safetyloop runs list`",
    REDTEAM: "start one with `safetyloop redteam run`",
    AGENTIC: "start one with `safetyloop agent run`",
    "capability": "start one with `safetyloop capability run`",
    "sabotage": "start one with `safetyloop sabotage run`",
    "reward": "start one with `safetyloop reward audit`",
}


class NewRun(BaseModel):
    """What is known about a run before it starts: its plan and the lineage of every version."""

    model_config = ConfigDict(frozen=True)

    kind: str = EVALUATION
    plan_hash: str
    target_name: str
    target_version: str
    constitution_hash: str
    scorer_versions: dict[str, Any]
    suite_versions: dict[str, Any]
    lineage: dict[str, Any]


class RunInfo(NewRun):
    """A stored run: its plan and lineage, and its state."""

    id: str
    status: str
    created_at: datetime
    finished_at: datetime | None
    schema_version: int


class RunRepository(StoreCore):
    """Runs: create, find, finish, list; one ledger for every kind."""

    def create_run(self, run: NewRun, cases: Sequence[Case]) -> RunInfo:
        """Record the run and its whole plan in one transaction."""
        with self.session() as s:
            return _create(s, run, cases)

    def claim_run(
        self, run: NewRun, cases: Sequence[Case], *, resume: bool = True
    ) -> tuple[RunInfo, bool]:
        """The unfinished run of this plan, else a new one (`resume=False`: always new); and
        whether it was created here.

        Finding and creating are one transaction under a lock (PostgreSQL: an advisory lock;
        SQLite: its write lock, taken by writing first), so two processes starting the same plan
        at once get the same run, never one each.
        """
        with self.session() as s:
            if self.engine.dialect.name == "postgresql":
                s.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CLAIM_LOCK_KEY})
            elif self.engine.dialect.name == "sqlite":
                s.execute(text("UPDATE runs SET id = id WHERE 1 = 0"))
            if resume:
                row = _unfinished(s, run.plan_hash, run.kind)
                if row is not None:
                    return _info(row), False
            return _create(s, run, cases), True

    @contextmanager
    def hold_run(self, run_id: str, on_wait: Callable[[], None] | None = None) -> Iterator[None]:
        """Execute run `run_id` alone: wait until no other process holds it (calling `on_wait`
        first, if it must wait), hold it for the block. Released when the block ends or the
        process dies (`_locks.run_lock`)."""
        with run_lock(self.engine, run_id, on_wait):
            yield

    def find_unfinished_run(self, plan_hash: str, kind: str = EVALUATION) -> RunInfo | None:
        with self.session() as s:
            row = _unfinished(s, plan_hash, kind)
            return _info(row) if row else None

    def get_run(self, ref: str, kind: str = EVALUATION) -> RunInfo:
        """A run of `kind` by id, unique id prefix, or `latest`."""
        noun = _RUN_NOUN[kind]
        with self.session() as s:
            of_kind = select(RunRow).where(RunRow.kind == kind)
            if ref == "latest":
                row = s.scalars(of_kind.order_by(RunRow.created_at.desc())).first()
            else:
                rows = s.scalars(of_kind.where(RunRow.id.startswith(ref))).all()
                if len(rows) > 1:
                    raise InputError(
                        f"{noun} reference {ref!r} is ambiguous",
                        hint="give more characters of the id",
                    )
                row = rows[0] if rows else None
            if row is None:
                raise InputError(f"no {noun} {ref!r} in {self.url}", hint=_RUN_HINT[kind])
            return _info(row)

    def list_runs(self, limit: int = 20, kind: str = EVALUATION) -> list[RunInfo]:
        with self.session() as s:
            rows = s.scalars(
                select(RunRow)
                .where(RunRow.kind == kind)
                .order_by(RunRow.created_at.desc())
                .limit(limit)
            ).all()
            return [_info(r) for r in rows]

    def count_runs(self, kind: str = EVALUATION) -> int:
        with self.session() as s:
            query = select(func.count()).select_from(RunRow).where(RunRow.kind == kind)
            return int(s.scalar(query) or 0)

    def finish_run(self, run_id: str, at: datetime | None = None) -> None:
        """Mark a run of any kind finished (now, or `at`); an unknown id is an error."""
        with self.session() as s:
            row = s.get(RunRow, run_id)
            if row is None:
                raise StorageError(f"no run {run_id}")
            row.status, row.finished_at = "finished", at or now()

    def run_cases(
        self,
        run_id: str,
        *,
        suites: Collection[str] | None = None,
        keys: Collection[str] | None = None,
    ) -> list[Case]:
        """The run's planned cases in plan order (only those of `suites`, or with `keys`, when
        given: a large run's few cases without reading the rest)."""
        with self.session() as s:
            query = select(RunCaseRow).where(RunCaseRow.run_id == run_id)
            if suites is not None:
                query = query.where(RunCaseRow.suite.in_(sorted(suites)))
            if keys is None:
                rows = list(s.scalars(query.order_by(RunCaseRow.position)))
            else:
                wanted = sorted(keys)
                rows = sorted(
                    (
                        row
                        for start in range(0, len(wanted), KEYS_PER_QUERY)
                        for row in s.scalars(
                            query.where(
                                RunCaseRow.case_key.in_(wanted[start : start + KEYS_PER_QUERY])
                            )
                        )
                    ),
                    key=lambda row: row.position,
                )
            return [Case.model_validate(r.case) for r in rows]

    def runs_of_target(self, target_name: str, *, finished_only: bool = True) -> list[RunInfo]:
        """Every run of a target, oldest first: the releases of a deployment, in order."""
        with self.session() as s:
            query = select(RunRow).where(
                RunRow.kind == EVALUATION, RunRow.target_name == target_name
            )
            if finished_only:
                query = query.where(RunRow.status == "finished")
            rows = s.scalars(query.order_by(RunRow.created_at, RunRow.id)).all()
            return [_info(r) for r in rows]


def _unfinished(s: Session, plan_hash: str, kind: str) -> RunRow | None:
    return s.scalars(
        select(RunRow)
        .where(RunRow.kind == kind, RunRow.plan_hash == plan_hash, RunRow.status == "running")
        .order_by(RunRow.created_at.desc())
    ).first()


def _create(s: Session, run: NewRun, cases: Sequence[Case]) -> RunInfo:
    row = RunRow(
        id=uuid.uuid4().hex[:12],
        schema_version=SCHEMA_VERSION,
        status="running",
        created_at=now(),
        finished_at=None,
        **run.model_dump(),
    )
    s.add(row)
    s.flush()
    s.add_all(case_row(row.id, i, c) for i, c in enumerate(cases))
    return _info(row)


def case_row(run_id: str, position: int, case: Case) -> RunCaseRow:
    """A planned case's row, with the grouping the gate counts its verdicts by."""
    return RunCaseRow(
        run_id=run_id,
        case_key=case.key,
        position=position,
        case=case.model_dump(mode="json"),
        suite=case.suite,
        category=case.category,
        expected=case.expected.value,
        cluster=case.cluster,
    )


def _info(row: RunRow) -> RunInfo:
    return RunInfo(
        id=row.id,
        kind=row.kind,
        plan_hash=row.plan_hash,
        status=row.status,
        created_at=row.created_at,
        finished_at=row.finished_at,
        target_name=row.target_name,
        target_version=row.target_version,
        constitution_hash=row.constitution_hash,
        scorer_versions=row.scorer_versions,
        suite_versions=row.suite_versions,
        lineage=row.lineage,
        schema_version=row.schema_version,
    )
