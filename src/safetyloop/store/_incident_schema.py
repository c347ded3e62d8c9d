"""The incident lab's tables (migration 0007): incidents, promoted cases, measurements."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from safetyloop.store._schema import Base
from safetyloop.store._types import UTCDateTime

__all__ = ["IncidentCaseRow", "IncidentMeasurementRow", "IncidentRow"]


class IncidentRow(Base):
    """An incident: the validated record, its triage, and the debt item it opened."""

    __tablename__ = "incidents"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    severity: Mapped[str] = mapped_column(String(16))
    principle: Mapped[str] = mapped_column(String(32))
    incident_date: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))  # added | triaged | promoted
    content_hash: Mapped[str] = mapped_column(String(64))
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    triage: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    confirmed: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    debt_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class IncidentCaseRow(Base):
    """A regression case promoted from an incident (the whole `Case`, as JSON)."""

    __tablename__ = "incident_regression_cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"), index=True)
    case_id: Mapped[str] = mapped_column(String(200), unique=True)
    case: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class IncidentMeasurementRow(Base):
    """A stored replay or blast-radius measurement (the full report as JSON)."""

    __tablename__ = "incident_measurements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))  # replay | blast-radius
    target_name: Mapped[str] = mapped_column(String(200))
    target_version: Mapped[str] = mapped_column(String(64))
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
