"""The clock the CLI acts under: the wall clock, or a simulated one from `SAFETYLOOP_NOW`.

`SAFETYLOOP_NOW=2026-12-30T00:00:00Z safetyloop gate RUN` decides as if it were that moment,
so SLA escalation and debt aging can be shown (and tested) without waiting weeks.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

from safetyloop.clock import Clock, FixedClock, SystemClock
from safetyloop.errors import InputError

#: Environment variable holding a simulated "now" (ISO 8601; no zone means UTC).
NOW_ENV = "SAFETYLOOP_NOW"


def parse_time(text: str, what: str = NOW_ENV) -> datetime:
    """An ISO 8601 time or date as aware UTC; a bad value is an input error naming `what`."""
    try:
        at = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise InputError(
            f"{what}: {text!r} is not an ISO 8601 time (2026-12-30T00:00:00Z)"
        ) from exc
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def env_clock() -> Clock:
    """A FixedClock at $SAFETYLOOP_NOW when set, else the system clock."""
    text = os.environ.get(NOW_ENV, "").strip()
    return FixedClock(parse_time(text)) if text else SystemClock()
