"""Governance: the audit log, review queue, debt ledger, exceptions, and who acts.

The audit chain and the clock live below the store (`safetyloop.audit_chain`, `safetyloop.clock`)
so that the store needs nothing from here; they are re-exported for governance's callers. The
audit log, review queue, debt ledger and exceptions are submodules (`governance.audit`,
`governance.reviews`, `governance.debt`, `governance.exceptions`, `governance.gating`). Exported
here too: who may do what (`load_roles`, `load_policy`) and the clock a command runs on
(`env_clock`: SAFETYLOOP_NOW, or the system's).
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
from safetyloop.governance._now import NOW_ENV, env_clock, parse_time
from safetyloop.governance._policy import Policy, load_policy
from safetyloop.governance._roles import Roles, load_roles

__all__ = [
    "ACTOR_ENV",
    "GENESIS_HASH",
    "NOW_ENV",
    "AuditEntry",
    "Clock",
    "FixedClock",
    "Policy",
    "Roles",
    "SystemClock",
    "VerifyResult",
    "chain_entry",
    "current_actor",
    "entry_hash",
    "env_clock",
    "load_policy",
    "load_roles",
    "parse_time",
    "time_text",
    "verify",
]
