"""The incident lab's persistence: incidents, their promoted regression cases, measurements.

Incidents are append-only records whose loop state (triage, confirmation, debt) changes; the
record body is kept as JSON, and `safetyloop.incidents` turns it back into an `Incident`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from safetyloop.errors import InputError
from safetyloop.store._incident_schema import IncidentCaseRow, IncidentMeasurementRow, IncidentRow
from safetyloop.store._store import Store
from safetyloop.suites import Case

__all__ = [
    "UNSET",
    "IncidentRecord",
    "StoredMeasurement",
    "add_cases",
    "get_incident",
    "insert_incident",
    "list_incidents",
    "measurements",
    "record_measurement",
    "regression_cases",
    "update_incident",
]


class IncidentRecord(BaseModel):
    """A stored incident: the record as JSON, where it is in the loop, and what triage found."""

    model_config = ConfigDict(frozen=True)

    id: str
    body: dict[str, Any]
    status: str
    content_hash: str
    triage: dict[str, Any] | None
    confirmed: dict[str, Any] | None
    debt_id: str | None
    created_at: dt.datetime
    updated_at: dt.datetime


class StoredMeasurement(BaseModel):
    """A stored replay or blast-radius report."""

    model_config = ConfigDict(frozen=True)

    id: int
    incident_id: str
    kind: str
    target_name: str
    target_version: str
    body: dict[str, Any]
    created_at: dt.datetime


def _record(row: IncidentRow) -> IncidentRecord:
    return IncidentRecord.model_validate(row, from_attributes=True)


def insert_incident(
    store: Store,
    *,
    incident_id: str,
    title: str,
    severity: str,
    principle: str,
    date: dt.date,
    content_hash: str,
    body: dict[str, Any],
    at: dt.datetime,
) -> IncidentRecord:
    """Store a new incident; an id already taken is refused (incidents are never overwritten)."""
    with store.session() as s:
        existing = s.get(IncidentRow, incident_id)
        if existing is not None:
            same = existing.content_hash == content_hash
            raise InputError(
                f"incident {incident_id!r} is already stored"
                + (" (same content)" if same else " with different content"),
                hint="incidents are append-only: give a corrected record a new id",
            )
        row = IncidentRow(
            id=incident_id,
            title=title,
            severity=severity,
            principle=principle,
            incident_date=date,
            status="added",
            content_hash=content_hash,
            body=body,
            created_at=at,
            updated_at=at,
        )
        s.add(row)
        s.flush()
        return _record(row)


def get_incident(store: Store, incident_id: str) -> IncidentRecord:
    """The stored incident, or InputError naming the ids that exist."""
    with store.session() as s:
        row = s.get(IncidentRow, incident_id)
        if row is None:
            known = s.scalars(select(IncidentRow.id).order_by(IncidentRow.id)).all()
            raise InputError(
                f"no incident {incident_id!r}",
                hint=f"known incidents: {', '.join(known)}"
                if known
                else "add one with `safetyloop incident add FILE`",
            )
        return _record(row)


def list_incidents(store: Store) -> list[IncidentRecord]:
    with store.session() as s:
        rows = s.scalars(select(IncidentRow).order_by(IncidentRow.incident_date, IncidentRow.id))
        return [_record(r) for r in rows]


#: "Leave this field as it is" for `update_incident` (None is a value: it clears the field).
UNSET: Any = object()


def update_incident(
    store: Store,
    incident_id: str,
    *,
    at: dt.datetime,
    status: str | None = None,
    triage: dict[str, Any] | None = UNSET,
    confirmed: dict[str, Any] | None = UNSET,
    debt_id: str | None = UNSET,
) -> IncidentRecord:
    """Change an incident's loop state (the record itself never changes)."""
    with store.session() as s:
        row = s.get(IncidentRow, incident_id)
        if row is None:
            raise InputError(f"no incident {incident_id!r}")
        if status is not None:
            row.status = status
        if triage is not UNSET:
            row.triage = triage
        if confirmed is not UNSET:
            row.confirmed = confirmed
        if debt_id is not UNSET:
            row.debt_id = debt_id
        row.updated_at = at
        s.flush()
        return _record(row)


def add_cases(store: Store, incident_id: str, cases: Sequence[Case], at: dt.datetime) -> list[str]:
    """Add regression cases; ids already present are kept as they are. Returns the new ids."""
    added: list[str] = []
    with store.session() as s:
        have = set(s.scalars(select(IncidentCaseRow.case_id)).all())
        for case in cases:
            if case.id in have:
                continue
            s.add(
                IncidentCaseRow(
                    incident_id=incident_id,
                    case_id=case.id,
                    case=case.model_dump(mode="json"),
                    created_at=at,
                )
            )
            added.append(case.id)
    return added


def regression_cases(store: Store, incident_id: str | None = None) -> list[Case]:
    """Every promoted case (of one incident), sorted by case id so the suite is deterministic."""
    with store.session() as s:
        query = select(IncidentCaseRow).order_by(IncidentCaseRow.case_id)
        if incident_id is not None:
            query = query.where(IncidentCaseRow.incident_id == incident_id)
        return [Case.model_validate(r.case) for r in s.scalars(query)]


def record_measurement(
    store: Store,
    incident_id: str,
    kind: str,
    target_name: str,
    target_version: str,
    body: dict[str, Any],
    at: dt.datetime,
) -> int:
    with store.session() as s:
        row = IncidentMeasurementRow(
            incident_id=incident_id,
            kind=kind,
            target_name=target_name,
            target_version=target_version,
            body=body,
            created_at=at,
        )
        s.add(row)
        s.flush()
        return row.id


def measurements(
    store: Store, incident_id: str, kind: str | None = None
) -> list[StoredMeasurement]:
    with store.session() as s:
        query = (
            select(IncidentMeasurementRow)
            .where(IncidentMeasurementRow.incident_id == incident_id)
            .order_by(IncidentMeasurementRow.id)
        )
        if kind is not None:
            query = query.where(IncidentMeasurementRow.kind == kind)
        return [StoredMeasurement.model_validate(r, from_attributes=True) for r in s.scalars(query)]
