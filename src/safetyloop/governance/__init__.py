"""Governance: the review queue, debt ledger, exceptions, and who acts.

The audit chain and the clock live below the store (`safetyloop.audit_chain`, `safetyloop.clock`)
so that the store needs nothing from here; they are re-exported for governance's callers. The
review queue, debt ledger and exceptions are submodules (`governance.reviews`, `governance.debt`,
`governance.exceptions`, `governance.gating`).
"""

from safetyloop.audit_chain import (
    GENESIS_HASH,
    AuditEntry,
    VerifyResult,
    chain_entry,
    entry_hash,
    time_text,
    verify,
)
from safetyloop.clock import Clock, FixedClock, SystemClock
from safetyloop.governance._actor import ACTOR_ENV, current_actor

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
