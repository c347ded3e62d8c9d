"""The audit log's persistence: appends under a write lock, and reads in chain order."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from safetyloop.audit_chain import AuditEntry, chain_entry
from safetyloop.clock import Clock
from safetyloop.errors import StorageError
from safetyloop.store._core import StoreCore
from safetyloop.store._schema import AuditRow

#: Key of the PostgreSQL advisory lock that serialises audit appends (any fixed 64-bit number).
AUDIT_LOCK_KEY = 0x5AFE_A0D1
#: Attempts at an append before giving up; only a writer that bypasses the lock can cause a retry.
AUDIT_ATTEMPTS = 3


class AuditRepository(StoreCore):
    """The tamper-evident audit chain: append, lock, read."""

    def append_audit(
        self, actor: str, action: str, payload: dict[str, Any], clock: Clock
    ) -> AuditEntry:
        """Append one entry to the audit chain; safe with many writers at once.

        Reading the last entry and writing the next must be one critical section, or two writers
        would chain onto the same entry. PostgreSQL takes a transaction-level advisory lock;
        SQLite takes its single write lock before reading. The seq primary key is the backstop.
        """
        for attempt in range(AUDIT_ATTEMPTS):
            try:
                with self.session() as s:
                    self.lock_audit(s)
                    entry = chain_audit(s, actor, action, payload, clock)
                return entry
            except IntegrityError as exc:
                if attempt == AUDIT_ATTEMPTS - 1:
                    raise StorageError(
                        f"could not append to the audit log: {exc.orig}",
                        hint="another writer keeps taking the same position; retry",
                    ) from exc
        raise AssertionError("unreachable")  # pragma: no cover

    def lock_audit(self, s: Session) -> None:
        """Take the audit write lock as `s`'s first statement; it holds until `s` commits, so
        a state change and its audit entry can be one critical section (governance)."""
        if self.engine.dialect.name == "postgresql":
            s.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": AUDIT_LOCK_KEY})
        elif self.engine.dialect.name == "sqlite":
            # A write as the transaction's first statement takes SQLite's RESERVED lock (what
            # BEGIN IMMEDIATE does): other writers wait (busy_timeout) until we commit.
            s.execute(text("UPDATE audit_log SET seq = seq WHERE 1 = 0"))

    def run_started_by(self, run_id: str) -> str | None:
        """Who started run `run_id`: the actor of its first `run.started` audit entry (None if
        it was never audited)."""
        with self.session() as s:
            return s.scalar(
                select(AuditRow.actor)
                .where(
                    AuditRow.action == "run.started",
                    AuditRow.payload["run_id"].as_string() == run_id,
                )
                .order_by(AuditRow.seq)
                .limit(1)
            )

    def audit_entries(self) -> list[AuditEntry]:
        """Every audit entry, in seq order, exactly as stored (verification needs the raw rows)."""
        with self.session() as s:
            return [_audit_entry(r) for r in s.scalars(select(AuditRow).order_by(AuditRow.seq))]


def chain_audit(
    s: Session, actor: str, action: str, payload: dict[str, Any], clock: Clock
) -> AuditEntry:
    """Chain the next audit entry onto the last one, inside `s` (which holds `lock_audit`)."""
    s.flush()
    row = s.scalars(select(AuditRow).order_by(AuditRow.seq.desc()).limit(1)).first()
    entry = chain_entry(_audit_entry(row) if row else None, actor, action, payload, clock.now())
    s.add(AuditRow(**entry.model_dump()))
    s.flush()
    return entry


def _audit_entry(row: AuditRow) -> AuditEntry:
    return AuditEntry(
        seq=row.seq,
        actor=row.actor,
        at=row.at,
        action=row.action,
        payload=row.payload,
        payload_hash=row.payload_hash,
        prev_hash=row.prev_hash,
        entry_hash=row.entry_hash,
    )
