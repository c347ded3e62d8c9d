"""Injectable time, below every stage: the store, governance, incidents and red teaming record
when things happened, and tests must control that exactly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable


@runtime_checkable
class Clock(Protocol):
    """Where stages get the time; SLA, aging and audit tests swap in a `FixedClock`."""

    def now(self) -> datetime:
        """The current time, timezone-aware in UTC."""
        ...


class SystemClock:
    """The wall clock, in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that moves only when told to, so time-dependent tests are exact."""

    def __init__(self, at: datetime) -> None:
        self._at = _utc(at)

    def now(self) -> datetime:
        return self._at

    def set(self, at: datetime) -> None:
        """Jump to `at` (timezone-aware)."""
        self._at = _utc(at)

    def advance(self, delta: timedelta) -> datetime:
        """Move forward by `delta`; returns the new time."""
        self._at = self._at + delta
        return self._at


def _utc(at: datetime) -> datetime:
    # A naive time is ambiguous; refusing it keeps every stored time comparable.
    if at.tzinfo is None:
        raise ValueError("clock times must be timezone-aware")
    return at.astimezone(UTC)
