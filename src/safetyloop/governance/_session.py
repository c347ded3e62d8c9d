"""One transaction per governance action: the change and its audit entry commit together.

`Store.append_audit` opens its own transaction; a governance action must not commit a decision
whose audit entry could then fail (or the reverse). `governed(store)` opens a session that first
takes the audit log's write lock (PostgreSQL: a transaction-level advisory lock; SQLite: the
RESERVED lock, by writing first), so governance actions are serialised with each other and with
every audit append, and `append(session, ...)` chains the entry inside that same transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from safetyloop.errors import SafetyloopError, StorageError
from safetyloop.governance._audit import AuditEntry
from safetyloop.governance._clock import Clock
from safetyloop.store import Store
from safetyloop.store._store import chain_audit


class Refused(SafetyloopError):
    """A governance action the rules do not allow (exit 1), with the reason why."""


@contextmanager
def governed(store: Store) -> Iterator[Session]:
    """A session holding the audit write lock from its first statement until it commits."""
    try:
        with store.session() as s:
            store.lock_audit(s)
            yield s
    except IntegrityError as exc:
        raise StorageError(
            f"a concurrent change conflicted with this one: {exc.orig}", hint="retry"
        ) from exc


def append(
    s: Session, actor: str, action: str, payload: dict[str, Any], clock: Clock
) -> AuditEntry:
    """Chain an audit entry inside the governed session `s` (see `governed`)."""
    return chain_audit(s, actor, action, payload, clock)


def new_id(prefix: str) -> str:
    """A short unique id with a readable prefix (`rv-`, `debt-`, `exc-`)."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def utc(at: datetime) -> datetime:
    """A stored time as aware UTC (SQLite hands back naive times)."""
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
