"""What every governance action shares: its refusal and its ids.

The transaction itself (the change and its audit entry, committed together under the audit
lock) is the store's: `safetyloop.store.governance.governed`.
"""

from __future__ import annotations

import uuid

from safetyloop.errors import SafetyloopError


class Refused(SafetyloopError):
    """A governance action the rules do not allow (exit 1), with the reason why."""


def new_id(prefix: str) -> str:
    """A short unique id with a readable prefix (`rv-`, `debt-`, `exc-`)."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"
