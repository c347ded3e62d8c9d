"""SQLAlchemy tables. Changes go through a named Alembic migration in `migrations/versions`."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from safetyloop.store._types import UTCDateTime

#: Stored records carry the schema version they were written under.
SCHEMA_VERSION = 1

#: The kinds of run in the one run ledger (migration 0009): what planned and ran it.
EVALUATION = "evaluation"
REDTEAM = "redteam"
AGENTIC = "agentic"


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[Any]: JSON}


class RunRow(Base):
    """A run of any kind: the plan's lineage (every version hash) and its state.

    `kind` says what ran it (evaluation, red team, agentic); a red-team run keeps its attack
    set's hash in `suite_versions["attack_set"]` (an agentic run its task set's, under
    `agentic_tasks`) and has no constitution (empty hash).
    """

    __tablename__ = "runs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), index=True, default=EVALUATION)
    schema_version: Mapped[int] = mapped_column(Integer, default=SCHEMA_VERSION)
    plan_hash: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(16))  # running | finished
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    target_name: Mapped[str] = mapped_column(String(200))
    target_version: Mapped[str] = mapped_column(String(64))
    constitution_hash: Mapped[str] = mapped_column(String(64))
    scorer_versions: Mapped[dict[str, Any]] = mapped_column(JSON)
    suite_versions: Mapped[dict[str, Any]] = mapped_column(JSON)
    lineage: Mapped[dict[str, Any]] = mapped_column(JSON)  # target, constitution, params, sampling


class RunCaseRow(Base):
    """A case planned for a run, stored whole so that a resumed run needs nothing else."""

    __tablename__ = "run_cases"
    __table_args__ = (UniqueConstraint("run_id", "case_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id"), index=True)
    case_key: Mapped[str] = mapped_column(String(300))
    position: Mapped[int] = mapped_column(Integer)
    case: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: What the gate counts a verdict by, out of `case` (migration 0013): the gate aggregates
    #: in SQL over these columns instead of reading every case back.
    suite: Mapped[str | None] = mapped_column(String(200), nullable=True)
    category: Mapped[str | None] = mapped_column(String(200), nullable=True)
    expected: Mapped[str | None] = mapped_column(String(16), nullable=True)
    cluster: Mapped[str | None] = mapped_column(String(300), nullable=True)


class ResultRow(Base):
    """Exactly one result per (run, case): the unique constraint makes a duplicate impossible."""

    __tablename__ = "results"
    __table_args__ = (UniqueConstraint("run_id", "case_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id"), index=True)
    case_key: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(16))
    response: Mapped[str | None] = mapped_column(Text, nullable=True)
    error_kind: Mapped[str | None] = mapped_column(String(32), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    finish_reason: Mapped[str | None] = mapped_column(String(32), nullable=True)
    attempts: Mapped[list[Any]] = mapped_column(JSON)
    cached: Mapped[int] = mapped_column(Integer, default=0)
    latency_s: Mapped[float] = mapped_column(Float, default=0.0)
    meta: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ScoreRow(Base):
    """One verdict of one scorer version on one result."""

    __tablename__ = "scores"
    __table_args__ = (UniqueConstraint("run_id", "case_key", "scorer_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id"), index=True)
    case_key: Mapped[str] = mapped_column(String(300))
    scorer: Mapped[str] = mapped_column(String(100))
    scorer_version: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(32))
    confidence: Mapped[float] = mapped_column(Float)
    explanation: Mapped[str] = mapped_column(Text, default="")
    #: Confidence inside the uncertainty band: the verdict goes to people (migration 0002).
    borderline: Mapped[bool] = mapped_column(Boolean, default=False)
    #: The case's grouping, copied from its run case when the verdict is written (0013), so the
    #: gate counts verdicts with one scan and no join. NULL on verdicts stored before 0013.
    suite: Mapped[str | None] = mapped_column(String(200), nullable=True)
    category: Mapped[str | None] = mapped_column(String(200), nullable=True)
    expected: Mapped[str | None] = mapped_column(String(16), nullable=True)
    cluster: Mapped[str | None] = mapped_column(String(300), nullable=True)


class CalibrationRow(Base):
    """A scorer version measured against human labels (migration 0002)."""

    __tablename__ = "calibrations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    scorer: Mapped[str] = mapped_column(String(100))
    scorer_version: Mapped[str] = mapped_column(String(64), index=True)
    labels_hash: Mapped[str] = mapped_column(String(64))
    n: Mapped[int] = mapped_column(Integer)
    accuracy: Mapped[float] = mapped_column(Float)
    kappa: Mapped[float] = mapped_column(Float)
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CacheRow(Base):
    """Successful responses keyed on (target version, conversation, parameters)."""

    __tablename__ = "response_cache"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    finish_reason: Mapped[str | None] = mapped_column(String(32), nullable=True)
    meta: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class GateDecisionRow(Base):
    """Every gate decision, as the JSON the gate printed."""

    __tablename__ = "gate_decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id"), index=True)
    decision: Mapped[str] = mapped_column(String(8))
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class BaselineRow(Base):
    """The run a deployment's next releases are compared with (migration 0003).

    One row per deployment name; setting it again replaces the run, so the name always points at
    what runs in production today.
    """

    __tablename__ = "baselines"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id"))
    target_name: Mapped[str] = mapped_column(String(200))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AuditRow(Base):
    """One entry of the tamper-evident audit chain (migration 0004); rows are only ever added.

    `seq` is the primary key, so two writers can never both store the same position.
    """

    __tablename__ = "audit_log"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    actor: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    action: Mapped[str] = mapped_column(String(100), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    payload_hash: Mapped[str] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64))
    #: HMAC of `entry_hash` under SAFETYLOOP_AUDIT_KEY; NULL when written without a key (0010).
    mac: Mapped[str | None] = mapped_column(String(64), nullable=True)


class AuditHeadRow(Base):
    """The chain's last entry, updated with every append in the same transaction (0010).

    Signed under the audit key, it names how long the chain is: a chain cut short, or lengthened
    by a forger who recomputed the hashes, no longer ends where the signed head says.
    """

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer)
    head_hash: Mapped[str] = mapped_column(String(64))
    mac: Mapped[str | None] = mapped_column(String(64), nullable=True)
