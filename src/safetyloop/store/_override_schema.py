"""Verdicts people overrode (migration 0014), declared on the store's `Base`.

A borderline verdict goes to a reviewer; when they relabel it, the new label is kept here beside
the scorer's (which stays as it was: verdicts are digested into the audit chain), and the gate
counts the reviewer's label instead.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from safetyloop.store._schema import Base
from safetyloop.store._types import UTCDateTime


class VerdictOverrideRow(Base):
    """One scorer version's verdict on one case of a run, relabelled by a reviewer."""

    __tablename__ = "verdict_overrides"
    __table_args__ = (UniqueConstraint("run_id", "case_key", "scorer_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id"), index=True)
    case_key: Mapped[str] = mapped_column(String(300))
    scorer: Mapped[str] = mapped_column(String(100))
    scorer_version: Mapped[str] = mapped_column(String(64))
    #: The scorer's label, as it was when overridden, and the reviewer's.
    was: Mapped[str] = mapped_column(String(32))
    label: Mapped[str] = mapped_column(String(32))
    reviewer: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
    review_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
