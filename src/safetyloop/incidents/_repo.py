"""Incidents as the lab sees them: the store's incident records with the `Incident` rebuilt.

The tables and queries are the store's (`safetyloop.store.incidents`); this module only adds the
clock and turns a stored body back into the validated record.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict

from safetyloop.clock import Clock, SystemClock
from safetyloop.incidents._record import Incident
from safetyloop.store import Store
from safetyloop.store import incidents as db
from safetyloop.store.incidents import StoredMeasurement, measurements, regression_cases
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


def _stored(record: db.IncidentRecord) -> StoredIncident:
    return StoredIncident(
        incident=Incident.model_validate(record.body),
        **record.model_dump(exclude={"id", "body"}),
    )


def _now(clock: Clock | None) -> dt.datetime:
    return (clock or SystemClock()).now()


def insert_incident(store: Store, incident: Incident, clock: Clock | None = None) -> StoredIncident:
    """Store a new incident; an id already taken is refused (incidents are never overwritten)."""
    return _stored(
        db.insert_incident(
            store,
            incident_id=incident.id,
            title=incident.title,
            severity=incident.severity.value,
            principle=incident.principle,
            date=incident.date,
            content_hash=incident.content_hash(),
            body=incident.model_dump(mode="json"),
            at=_now(clock),
        )
    )


def get_incident(store: Store, incident_id: str) -> StoredIncident:
    """The stored incident, or InputError naming the ids that exist."""
    return _stored(db.get_incident(store, incident_id))


def list_incidents(store: Store) -> list[StoredIncident]:
    return [_stored(r) for r in db.list_incidents(store)]


def update_incident(
    store: Store,
    incident_id: str,
    *,
    clock: Clock | None = None,
    status: str | None = None,
    triage: dict[str, Any] | None = db.UNSET,
    confirmed: dict[str, Any] | None = db.UNSET,
    debt_id: str | None = db.UNSET,
) -> StoredIncident:
    """Change an incident's loop state (the record itself never changes)."""
    return _stored(
        db.update_incident(
            store,
            incident_id,
            at=_now(clock),
            status=status,
            triage=triage,
            confirmed=confirmed,
            debt_id=debt_id,
        )
    )


def add_cases(
    store: Store, incident_id: str, cases: Sequence[Case], clock: Clock | None = None
) -> list[str]:
    """Add regression cases; ids already present are kept as they are. Returns the new ids."""
    return db.add_cases(store, incident_id, cases, _now(clock))


def record_measurement(
    store: Store,
    incident_id: str,
    kind: str,
    target_name: str,
    target_version: str,
    body: dict[str, Any],
    clock: Clock | None = None,
) -> int:
    return db.record_measurement(
        store, incident_id, kind, target_name, target_version, body, _now(clock)
    )
