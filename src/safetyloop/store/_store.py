"""The one owner of persistent state: every read and write of the database goes through `Store`."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from pydantic import BaseModel, ConfigDict
from sqlalchemy import create_engine, event, func, select, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from safetyloop.audit_chain import AuditEntry, chain_entry
from safetyloop.clock import Clock
from safetyloop.engine import CachedResponse, CaseResult
from safetyloop.errors import InputError, StorageError
from safetyloop.scoring import Score
from safetyloop.store._schema import (
    EVALUATION,
    REDTEAM,
    SCHEMA_VERSION,
    AuditRow,
    BaselineRow,
    CacheRow,
    CalibrationRow,
    GateDecisionRow,
    ResultRow,
    RunCaseRow,
    RunRow,
    ScoreRow,
)
from safetyloop.suites import Case

DEFAULT_DIR = ".safetyloop"

#: Key of the PostgreSQL advisory lock that serialises audit appends (any fixed 64-bit number).
AUDIT_LOCK_KEY = 0x5AFE_A0D1
#: Attempts at an append before giving up; only a writer that bypasses the lock can cause a retry.
AUDIT_ATTEMPTS = 3


def default_url(project_dir: Path | None = None) -> str:
    """SQLite in `.safetyloop/safetyloop.db` under the project folder."""
    folder = (project_dir or Path.cwd()) / DEFAULT_DIR
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'safetyloop.db'}"


_project_url: ContextVar[str | None] = ContextVar("safetyloop_project_store", default=None)


@contextmanager
def project_store(url: str | None) -> Iterator[None]:
    """Within the block, `project_store_url()` is `url`: the store a run or a gate is using,
    so that store-backed suites (incident regressions) are read from that same store."""
    token = _project_url.set(url)
    try:
        yield
    finally:
        _project_url.reset(token)


def project_store_url() -> str | None:
    """The store that store-backed suites read: the one given to `project_store`, else
    SAFETYLOOP_STORE_URL, else the working folder's default store if it exists (None: there is
    no store yet, and nothing is created just by looking)."""
    url = _project_url.get() or os.environ.get("SAFETYLOOP_STORE_URL")
    if url:
        return url
    path = Path.cwd() / DEFAULT_DIR / "safetyloop.db"
    return f"sqlite:///{path}" if path.exists() else None


def _now() -> datetime:
    return datetime.now(UTC)


#: How a run is named to people, by kind, and where to find or start one (for errors).
_RUN_NOUN = {EVALUATION: "run", REDTEAM: "red-team run"}
_RUN_HINT = {
    EVALUATION: "list runs with `safetyloop runs list`",
    REDTEAM: "start one with `safetyloop redteam run`",
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


class BorderlineVerdict(BaseModel):
    """A verdict whose confidence fell inside the uncertainty band: a person should look."""

    model_config = ConfigDict(frozen=True)

    case_key: str
    scorer: str
    scorer_version: str
    label: str
    confidence: float
    explanation: str


class CalibrationInfo(BaseModel):
    """A stored calibration record; `body` is the full `Calibration` as JSON."""

    model_config = ConfigDict(frozen=True)

    id: int
    scorer: str
    scorer_version: str
    labels_hash: str
    n: int
    accuracy: float
    kappa: float
    created_at: datetime
    body: dict[str, Any]


class GateDecisionInfo(BaseModel):
    """A recorded gate decision; `body` is the full `gate.Decision` as JSON (the gate reads it)."""

    model_config = ConfigDict(frozen=True)

    run_id: str
    decision: str
    body: dict[str, Any]
    created_at: datetime


class BaselineInfo(BaseModel):
    """A deployment's registered baseline run."""

    model_config = ConfigDict(frozen=True)

    name: str
    run_id: str
    target_name: str
    set_at: datetime


class Store:
    """Sessions, migrations and every query. Open one per process; it is cheap."""

    def __init__(self, url: str | None = None) -> None:
        self.url = url or default_url()
        self.engine: Engine = create_engine(self.url)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._migrate()

    def _migrate(self) -> None:
        try:
            with self.engine.begin() as connection:
                migrate(connection)
        except OperationalError as exc:
            raise StorageError(
                f"cannot open the store at {self.url}: {exc.orig}",
                hint="check the database URL and that the server is running",
            ) from exc

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self._sessions.begin() as session:
            yield session

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # runs -------------------------------------------------------------------------------
    def create_run(self, run: NewRun, cases: Sequence[Case]) -> RunInfo:
        """Record the run and its whole plan in one transaction."""
        row = RunRow(
            id=uuid.uuid4().hex[:12],
            schema_version=SCHEMA_VERSION,
            status="running",
            created_at=_now(),
            finished_at=None,
            **run.model_dump(),
        )
        with self.session() as s:
            s.add(row)
            s.flush()
            s.add_all(
                RunCaseRow(
                    run_id=row.id, case_key=c.key, position=i, case=c.model_dump(mode="json")
                )
                for i, c in enumerate(cases)
            )
        return _info(row)

    def find_unfinished_run(self, plan_hash: str, kind: str = EVALUATION) -> RunInfo | None:
        with self.session() as s:
            row = s.scalars(
                select(RunRow)
                .where(
                    RunRow.kind == kind, RunRow.plan_hash == plan_hash, RunRow.status == "running"
                )
                .order_by(RunRow.created_at.desc())
            ).first()
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
            row.status, row.finished_at = "finished", at or _now()

    def run_cases(self, run_id: str) -> list[Case]:
        with self.session() as s:
            rows = s.scalars(
                select(RunCaseRow).where(RunCaseRow.run_id == run_id).order_by(RunCaseRow.position)
            ).all()
            return [Case.model_validate(r.case) for r in rows]

    # results ----------------------------------------------------------------------------
    def record_result(self, run_id: str, result: CaseResult) -> None:
        """Write one result now (streaming); a second result for the same case is refused."""
        row = ResultRow(
            run_id=run_id,
            case_key=result.case_key,
            status=result.status,
            response=result.response,
            error_kind=result.error_kind,
            error=result.error,
            finish_reason=result.finish_reason,
            attempts=[a.model_dump() for a in result.attempts],
            cached=int(result.cached),
            latency_s=result.latency_s,
            meta=result.metadata,
            created_at=_now(),
        )
        try:
            with self.session() as s:
                s.add(row)
        except IntegrityError as exc:
            raise StorageError(f"run {run_id} already has a result for {result.case_key}") from exc

    def finished_keys(self, run_id: str) -> set[str]:
        with self.session() as s:
            return set(s.scalars(select(ResultRow.case_key).where(ResultRow.run_id == run_id)))

    def results(self, run_id: str) -> dict[str, CaseResult]:
        with self.session() as s:
            rows = s.scalars(select(ResultRow).where(ResultRow.run_id == run_id)).all()
            return {
                r.case_key: CaseResult(
                    case_key=r.case_key,
                    status=r.status,
                    response=r.response,
                    error_kind=r.error_kind,
                    error=r.error,
                    finish_reason=r.finish_reason,
                    attempts=r.attempts,
                    cached=bool(r.cached),
                    latency_s=r.latency_s,
                    metadata=r.meta,
                )
                for r in rows
            }

    # cache ------------------------------------------------------------------------------
    def cache_get(self, key: str) -> CachedResponse | None:
        with self.session() as s:
            row = s.get(CacheRow, key)
            return (
                CachedResponse(text=row.text, finish_reason=row.finish_reason, metadata=row.meta)
                if row
                else None
            )

    def cache_put(self, key: str, response: CachedResponse) -> None:
        with self.session() as s:
            if s.get(CacheRow, key) is None:
                s.add(
                    CacheRow(
                        key=key,
                        text=response.text,
                        finish_reason=response.finish_reason,
                        meta=response.metadata,
                        created_at=_now(),
                    )
                )

    # scores -----------------------------------------------------------------------------
    def record_scores(
        self,
        run_id: str,
        scorer: str,
        scorer_version: str,
        scores: dict[str, Score],
        borderline_below: float = 0.0,
    ) -> None:
        """Store verdicts; those with confidence under `borderline_below` are marked borderline.

        Error verdicts are never borderline: they are errors, and are routed as such.
        """
        with self.session() as s:
            s.add_all(
                ScoreRow(
                    run_id=run_id,
                    case_key=key,
                    scorer=scorer,
                    scorer_version=scorer_version,
                    label=sc.label,
                    confidence=sc.confidence,
                    explanation=sc.explanation,
                    borderline=not sc.is_error and sc.confidence < borderline_below,
                )
                for key, sc in scores.items()
            )

    def borderline(self, run_id: str) -> list[BorderlineVerdict]:
        """Verdicts marked borderline in a run, least confident first."""
        with self.session() as s:
            rows = s.scalars(
                select(ScoreRow)
                .where(ScoreRow.run_id == run_id, ScoreRow.borderline.is_(True))
                .order_by(ScoreRow.confidence, ScoreRow.case_key)
            ).all()
            return [
                BorderlineVerdict(
                    case_key=r.case_key,
                    scorer=r.scorer,
                    scorer_version=r.scorer_version,
                    label=r.label,
                    confidence=r.confidence,
                    explanation=r.explanation,
                )
                for r in rows
            ]

    def scores(self, run_id: str, scorer_version: str) -> dict[str, Score]:
        with self.session() as s:
            rows = s.scalars(
                select(ScoreRow).where(
                    ScoreRow.run_id == run_id, ScoreRow.scorer_version == scorer_version
                )
            ).all()
            return {
                r.case_key: Score(label=r.label, confidence=r.confidence, explanation=r.explanation)
                for r in rows
            }

    # calibrations -----------------------------------------------------------------------
    def record_calibration(
        self,
        scorer: str,
        scorer_version: str,
        labels_hash: str,
        n: int,
        accuracy: float,
        kappa: float,
        body: dict[str, Any],
    ) -> int:
        with self.session() as s:
            row = CalibrationRow(
                scorer=scorer,
                scorer_version=scorer_version,
                labels_hash=labels_hash,
                n=n,
                accuracy=accuracy,
                kappa=kappa,
                body=body,
                created_at=_now(),
            )
            s.add(row)
            s.flush()
            return row.id

    def latest_calibration(self, scorer_version: str) -> CalibrationInfo | None:
        """The newest calibration of exactly this scorer version (None if never calibrated)."""
        with self.session() as s:
            row = s.scalars(
                select(CalibrationRow)
                .where(CalibrationRow.scorer_version == scorer_version)
                .order_by(CalibrationRow.created_at.desc(), CalibrationRow.id.desc())
            ).first()
            return (
                None
                if row is None
                else CalibrationInfo(
                    id=row.id,
                    scorer=row.scorer,
                    scorer_version=row.scorer_version,
                    labels_hash=row.labels_hash,
                    n=row.n,
                    accuracy=row.accuracy,
                    kappa=row.kappa,
                    created_at=row.created_at,
                    body=row.body,
                )
            )

    # gate -------------------------------------------------------------------------------
    def record_gate_decision(self, run_id: str, decision: str, body: dict[str, Any]) -> None:
        with self.session() as s:
            s.add(GateDecisionRow(run_id=run_id, decision=decision, body=body, created_at=_now()))

    def latest_gate_decision(self, run_id: str) -> GateDecisionInfo | None:
        """The run's most recently recorded gate decision, if it was ever gated with a record."""
        with self.session() as s:
            row = s.scalars(
                select(GateDecisionRow)
                .where(GateDecisionRow.run_id == run_id)
                .order_by(GateDecisionRow.id.desc())
            ).first()
            return (
                None if row is None else GateDecisionInfo.model_validate(row, from_attributes=True)
            )

    # baselines and release history (issue 3) -------------------------------------------
    def set_baseline(self, name: str, run_id: str) -> BaselineInfo:
        """Point deployment `name` at a finished run, replacing any earlier baseline."""
        with self.session() as s:
            run = s.get(RunRow, run_id)
            if run is None:
                raise InputError(f"no run {run_id!r} in {self.url}")
            if run.status != "finished":
                raise InputError(
                    f"run {run_id} is {run.status}, not finished: a baseline must be complete",
                    hint="resume it with the same `safetyloop run` command first",
                )
            row = s.get(BaselineRow, name)
            if row is None:
                row = BaselineRow(
                    name=name, run_id=run_id, target_name=run.target_name, set_at=_now()
                )
                s.add(row)
            else:
                row.run_id, row.target_name, row.set_at = run_id, run.target_name, _now()
            s.flush()
            return _baseline(row)

    def get_baseline(self, name: str) -> BaselineInfo | None:
        """The baseline registered under deployment `name`, if any."""
        with self.session() as s:
            row = s.get(BaselineRow, name)
            return _baseline(row) if row else None

    def list_baselines(self) -> list[BaselineInfo]:
        with self.session() as s:
            return [_baseline(r) for r in s.scalars(select(BaselineRow).order_by(BaselineRow.name))]

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

    # audit log (issue 6) ---------------------------------------------------------------
    def append_audit(
        self, actor: str, action: str, payload: dict[str, Any], clock: Clock
    ) -> AuditEntry:
        """Append one entry to the audit chain; safe with many writers at once.

        Reading the last entry and writing the next must be one critical section, or two writers
        would chain onto the same entry. PostgreSQL takes a transaction-level advisory lock;
        SQLite takes its single write lock before reading. The seq primary key is the backstop.
        """
        for attempt in range(AUDIT_ATTEMPTS):
            try:
                with self.session() as s:
                    self.lock_audit(s)
                    entry = chain_audit(s, actor, action, payload, clock)
                return entry
            except IntegrityError as exc:
                if attempt == AUDIT_ATTEMPTS - 1:
                    raise StorageError(
                        f"could not append to the audit log: {exc.orig}",
                        hint="another writer keeps taking the same position; retry",
                    ) from exc
        raise AssertionError("unreachable")  # pragma: no cover

    def lock_audit(self, s: Session) -> None:
        """Take the audit write lock as `s`'s first statement; it holds until `s` commits, so
        a state change and its audit entry can be one critical section (governance)."""
        if self.engine.dialect.name == "postgresql":
            s.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": AUDIT_LOCK_KEY})
        elif self.engine.dialect.name == "sqlite":
            # A write as the transaction's first statement takes SQLite's RESERVED lock (what
            # BEGIN IMMEDIATE does): other writers wait (busy_timeout) until we commit.
            s.execute(text("UPDATE audit_log SET seq = seq WHERE 1 = 0"))

    def run_started_by(self, run_id: str) -> str | None:
        """Who started run `run_id`: the actor of its first `run.started` audit entry (None if
        it was never audited)."""
        with self.session() as s:
            return s.scalar(
                select(AuditRow.actor)
                .where(
                    AuditRow.action == "run.started",
                    AuditRow.payload["run_id"].as_string() == run_id,
                )
                .order_by(AuditRow.seq)
                .limit(1)
            )

    def audit_entries(self) -> list[AuditEntry]:
        """Every audit entry, in seq order, exactly as stored (verification needs the raw rows)."""
        with self.session() as s:
            return [_audit_entry(r) for r in s.scalars(select(AuditRow).order_by(AuditRow.seq))]


def migrate(connection: Connection, revision: str = "heads") -> None:
    """Bring the database on `connection` to `revision` (a test builds an older store with it)."""
    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


def chain_audit(
    s: Session, actor: str, action: str, payload: dict[str, Any], clock: Clock
) -> AuditEntry:
    """Chain the next audit entry onto the last one, inside `s` (which holds `lock_audit`)."""
    s.flush()
    row = s.scalars(select(AuditRow).order_by(AuditRow.seq.desc()).limit(1)).first()
    entry = chain_entry(_audit_entry(row) if row else None, actor, action, payload, clock.now())
    s.add(AuditRow(**entry.model_dump()))
    s.flush()
    return entry


def _audit_entry(row: AuditRow) -> AuditEntry:
    return AuditEntry(
        seq=row.seq,
        actor=row.actor,
        at=row.at,
        action=row.action,
        payload=row.payload,
        payload_hash=row.payload_hash,
        prev_hash=row.prev_hash,
        entry_hash=row.entry_hash,
    )


def _baseline(row: BaselineRow) -> BaselineInfo:
    return BaselineInfo(
        name=row.name, run_id=row.run_id, target_name=row.target_name, set_at=row.set_at
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


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL keeps readers and the streaming writer apart and survives kill -9.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()
