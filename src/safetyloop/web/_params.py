"""Bounds on what a query or form may ask for, so that odd input is a 400, never a 500."""

from __future__ import annotations

from datetime import UTC, datetime

from safetyloop.errors import InputError

#: The largest plan position or offset asked for (SQLite's integers are 64-bit).
MAX_POSITION = 2**62


def moment(value: datetime | None, field: str) -> datetime | None:
    """An aware UTC time (a naive one is read as UTC) between the years 1900 and 9000."""
    if value is None:
        return None
    if not 1900 <= value.year <= 9000:
        raise InputError(f"{field}: {value.isoformat()} is out of range (years 1900 to 9000)")
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
