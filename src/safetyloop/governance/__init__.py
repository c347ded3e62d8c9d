"""Governance: the audit log and the clock it reads (review queue, debt, exceptions to come)."""

from safetyloop.governance._audit import (
    ACTOR_ENV,
    GENESIS_HASH,
    AuditEntry,
    VerifyResult,
    chain_entry,
    current_actor,
    entry_hash,
    time_text,
    verify,
)
from safetyloop.governance._clock import Clock, FixedClock, SystemClock

__all__ = [
    "ACTOR_ENV",
    "GENESIS_HASH",
    "AuditEntry",
    "Clock",
    "FixedClock",
    "SystemClock",
    "VerifyResult",
    "chain_entry",
    "current_actor",
    "entry_hash",
    "time_text",
    "verify",
]
