"""Governance tables (migration 0005), declared on the store's `Base` so one metadata holds all.

Review items and their signatures, the debt ledger, and exceptions. Every row change goes
through `store.governance.Governed`, so that it and its audit entry commit together.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from safetyloop.store._schema import Base
from safetyloop.store._types import UTCDateTime


class ReviewItemRow(Base):
    """Something people must decide: routed from a gate result, a verdict or a request.

    `dedupe_key` is unique, so routing the same gate twice never queues the same item twice;
    `version` counts signatures and decisions (optimistic check and a visible counter).
    """

    __tablename__ = "review_items"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    rule: Mapped[str] = mapped_column(String(64), index=True)
    tier: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), index=True)  # pending|approved|rejected
    run_id: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    target: Mapped[str | None] = mapped_column(String(200), nullable=True)
    principle: Mapped[str | None] = mapped_column(String(100), nullable=True)
    subject: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    author: Mapped[str | None] = mapped_column(String(200), nullable=True)
    exception_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    escalations: Mapped[list[Any]] = mapped_column(JSON)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=0)


class ReviewSignatureRow(Base):
    """One person's decision on an item. Unique per (item, approver): nobody counts twice."""

    __tablename__ = "review_signatures"
    __table_args__ = (UniqueConstraint("item_id", "approver"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    item_id: Mapped[str] = mapped_column(ForeignKey("review_items.id"), index=True)
    approver: Mapped[str] = mapped_column(String(200))
    role: Mapped[str | None] = mapped_column(String(100), nullable=True)
    verdict: Mapped[str] = mapped_column(String(16))  # approve | reject
    reason: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class DebtRow(Base):
    """An alignment-debt item: a known gap that ages until evidence in the store clears it."""

    __tablename__ = "debt_items"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    principle: Mapped[str] = mapped_column(String(100), index=True)
    severity: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(Text)
    owner: Mapped[str] = mapped_column(String(200))
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON)
    regression_cases: Mapped[list[Any]] = mapped_column(JSON)  # case keys `suite/id`
    status: Mapped[str] = mapped_column(String(16), index=True)  # open | cleared
    aging_level: Mapped[str] = mapped_column(String(16), default="ok")
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    cleared_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    clearance: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class ExceptionRow(Base):
    """A request to ship a target despite a BLOCK on some principles, until it expires."""

    __tablename__ = "gate_exceptions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    target: Mapped[str] = mapped_column(String(200), index=True)
    run_id: Mapped[str] = mapped_column(String(32))
    principles: Mapped[list[Any]] = mapped_column(JSON)
    mitigation: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), index=True)  # pending|approved|rejected
    requested_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    review_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
