"""The web console's accounts (migration 0012), declared on the store's `Base`.

Only who may sign in lives here (a password hash or a machine token's hash); what a person may
do comes from the governance roles file, so the console and the CLI read one source of roles.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from safetyloop.store._schema import Base, RunCaseRow
from safetyloop.store._types import UTCDateTime


class WebUserRow(Base):
    """A console account: a person (argon2 password hash) or a machine (token hash)."""

    __tablename__ = "web_users"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    password_hash: Mapped[str | None] = mapped_column(String(200), nullable=True)
    token_hash: Mapped[str | None] = mapped_column(String(64), nullable=True, unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


#: A run's page reads its cases a page at a time in plan order (keyset on position, 0012).
RUN_CASES_BY_POSITION = Index("ix_run_cases_run_position", RunCaseRow.run_id, RunCaseRow.position)
