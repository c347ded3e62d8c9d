"""Agentic episodes (migration 0011): one row per planned case of an agentic run.

The run itself is a row of the one run ledger (`runs`, kind `agentic`). An episode row holds
the case as planned and, once it finished, its trajectory and outcome whole; a resumed run
sends only the cases whose row has none. Rows are written only through `safetyloop.store.agentic`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from safetyloop.store._schema import Base
from safetyloop.store._types import UTCDateTime


class AgenticEpisodeRow(Base):
    """A planned episode; `status` pending → done. The unique key makes a duplicate impossible."""

    __tablename__ = "agentic_episodes"
    __table_args__ = (UniqueConstraint("run_id", "case_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id"), index=True)
    case_key: Mapped[str] = mapped_column(String(300))
    position: Mapped[int] = mapped_column(Integer)
    case: Mapped[dict[str, Any]] = mapped_column(JSON)  # the AgenticCase, whole
    status: Mapped[str] = mapped_column(String(16))  # pending | done
    trajectory: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    outcome: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
