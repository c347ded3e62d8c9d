"""Red-team tables: conversations and every event in them (migration 0006).

A red-team run itself is a row of the one run ledger (`runs`, kind `redteam`, migration 0009);
rows are written only through `safetyloop.store.redteam`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

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
from sqlalchemy.orm import Mapped, mapped_column

from safetyloop.store._schema import Base
from safetyloop.store._types import UTCDateTime


class RedteamConversationRow(Base):
    """One attack on one request; `status` running → ok | error. Errors are never outcomes."""

    __tablename__ = "redteam_conversations"
    __table_args__ = (UniqueConstraint("run_id", "attack_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id"), index=True)
    attack_key: Mapped[str] = mapped_column(String(300))
    position: Mapped[int] = mapped_column(Integer)
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)  # the AttackSpec, whole
    status: Mapped[str] = mapped_column(String(16))  # pending | running | ok | error
    success: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    best_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    first_failure_turn: Mapped[int | None] = mapped_column(Integer, nullable=True)
    turns: Mapped[int] = mapped_column(Integer, default=0)
    backtracks: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class RedteamEventRow(Base):
    """A turn, backtrack, pruned branch or error, in order; replaying them rebuilds the attack."""

    __tablename__ = "redteam_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("redteam_conversations.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))  # turn | backtrack | pruned | error
    turn: Mapped[int] = mapped_column(Integer)
    branch: Mapped[str] = mapped_column(String(64), default="")
    prompt: Mapped[str] = mapped_column(Text, default="")
    response: Mapped[str | None] = mapped_column(Text, nullable=True)
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    label: Mapped[str | None] = mapped_column(String(32), nullable=True)
    refused: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)  # attacker text, judge explanation...
    at: Mapped[datetime] = mapped_column(UTCDateTime)
