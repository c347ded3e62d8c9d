"""Reads and writes of the incident tables, through `Store.session()`; nothing else touches them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from safetyloop.errors import InputError
from safetyloop.governance import Clock, SystemClock
from safetyloop.incidents._record import Incident
from safetyloop.incidents._tables import IncidentCaseRow, IncidentMeasurementRow, IncidentRow
from safetyloop.store import Store
from safetyloop.suites import Case

__all__ = [
    "StoredIncident",
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


class StoredIncident(BaseModel):
    """An incident as stored: the record, where it is in the loop, and what triage found."""

    model_config = ConfigDict(frozen=True)

    incident: Incident
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


def _stored(row: IncidentRow) -> StoredIncident:
    return StoredIncident(
        incident=Incident.model_validate(row.body),
        status=row.status,
        content_hash=row.content_hash,
        triage=row.triage,
        confirmed=row.confirmed,
        debt_id=row.debt_id,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def insert_incident(store: Store, incident: Incident, clock: Clock | None = None) -> StoredIncident:
    """Store a new incident; an id already taken is refused (incidents are never overwritten)."""
    now = (clock or SystemClock()).now()
    with store.session() as s:
        existing = s.get(IncidentRow, incident.id)
        if existing is not None:
            same = existing.content_hash == incident.content_hash()
            raise InputError(
                f"incident {incident.id!r} is already stored"
                + (" (same content)" if same else " with different content"),
                hint="incidents are append-only: give a corrected record a new id",
            )
        row = IncidentRow(
            id=incident.id,
            title=incident.title,
            severity=incident.severity.value,
            principle=incident.principle,
            incident_date=incident.date,
            status="added",
            content_hash=incident.content_hash(),
            body=incident.model_dump(mode="json"),
            created_at=now,
            updated_at=now,
        )
        s.add(row)
        s.flush()
        return _stored(row)


def get_incident(store: Store, incident_id: str) -> StoredIncident:
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
        return _stored(row)


def list_incidents(store: Store) -> list[StoredIncident]:
    with store.session() as s:
        rows = s.scalars(select(IncidentRow).order_by(IncidentRow.incident_date, IncidentRow.id))
        return [_stored(r) for r in rows]


_UNSET: Any = object()


def update_incident(
    store: Store,
    incident_id: str,
    *,
    clock: Clock | None = None,
    status: str | None = None,
    triage: dict[str, Any] | None = _UNSET,
    confirmed: dict[str, Any] | None = _UNSET,
    debt_id: str | None = _UNSET,
) -> StoredIncident:
    """Change an incident's loop state (the record itself never changes)."""
    with store.session() as s:
        row = s.get(IncidentRow, incident_id)
        if row is None:
            raise InputError(f"no incident {incident_id!r}")
        if status is not None:
            row.status = status
        if triage is not _UNSET:
            row.triage = triage
        if confirmed is not _UNSET:
            row.confirmed = confirmed
        if debt_id is not _UNSET:
            row.debt_id = debt_id
        row.updated_at = (clock or SystemClock()).now()
        s.flush()
        return _stored(row)


def add_cases(
    store: Store, incident_id: str, cases: Sequence[Case], clock: Clock | None = None
) -> list[str]:
    """Add regression cases; ids already present are kept as they are. Returns the new ids."""
    now = (clock or SystemClock()).now()
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
                    created_at=now,
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
    clock: Clock | None = None,
) -> int:
    with store.session() as s:
        row = IncidentMeasurementRow(
            incident_id=incident_id,
            kind=kind,
            target_name=target_name,
            target_version=target_version,
            body=body,
            created_at=(clock or SystemClock()).now(),
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
        return [
            StoredMeasurement(
                id=r.id,
                incident_id=r.incident_id,
                kind=r.kind,
                target_name=r.target_name,
                target_version=r.target_version,
                body=r.body,
                created_at=r.created_at,
            )
            for r in s.scalars(query)
        ]
