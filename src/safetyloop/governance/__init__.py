"""Governance: the audit log and the clock it reads.

The review queue, debt ledger and exceptions live in submodules that need the store
(`governance.reviews`, `governance.debt`, `governance.exceptions`, `governance.gating`); they
are not imported here because the store itself imports this package.
"""

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
