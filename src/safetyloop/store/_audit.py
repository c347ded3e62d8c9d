"""The audit log's persistence: appends under a write lock, the signed head, reads in order.

Every append made with the audit key also moves the signed head row (`audit_head`) in the same
transaction, and every append leaves the new head in `session.info` so that the store can
write it to the witness file once the transaction has committed (`StoreCore.session`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, insert, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from safetyloop.audit_chain import GENESIS_HASH, AuditEntry, head_mac, link
from safetyloop.clock import Clock
from safetyloop.errors import StorageError
from safetyloop.store._core import AUDIT_HEAD_INFO, AUDIT_KEY_INFO, StoreCore
from safetyloop.store._schema import AuditHeadRow, AuditRow

#: Key of the PostgreSQL advisory lock that serialises audit appends (any fixed 64-bit number).
AUDIT_LOCK_KEY = 0x5AFE_A0D1
_LOG: Table = AuditRow.__table__  # type: ignore[assignment]
_HEAD: Table = AuditHeadRow.__table__  # type: ignore[assignment]
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

    def audit_head(self) -> AuditHead | None:
        """The stored head row (None: nothing was ever appended)."""
        with self.session() as s:
            row = s.get(AuditHeadRow, 1)
            return None if row is None else AuditHead(row.seq, row.head_hash, row.mac)

    def sign_audit_head(self) -> AuditHead | None:
        """Point the head at the last entry and sign it with this store's key (`audit anchor`);
        the witness, if any, receives it on commit. None: the log is empty."""
        with self.session() as s:
            self.lock_audit(s)
            row = s.scalars(select(AuditRow).order_by(AuditRow.seq.desc()).limit(1)).first()
            if row is None:
                return None
            _move_head(s, row.seq, row.entry_hash)
        return self.audit_head()

    def audit_entries(self) -> list[AuditEntry]:
        """Every audit entry, in seq order, exactly as stored (verification needs the raw rows)."""
        with self.session() as s:
            return [_audit_entry(r) for r in s.scalars(select(AuditRow).order_by(AuditRow.seq))]


@dataclass(frozen=True)
class AuditHead:
    """The head row: the last entry's seq and hash, and its signature (None: unsigned)."""

    seq: int
    head_hash: str
    mac: str | None


def chain_audit(
    s: Session, actor: str, action: str, payload: dict[str, Any], clock: Clock
) -> AuditEntry:
    """Chain the next audit entry onto the last one, inside `s` (which holds `lock_audit`)."""
    [entry] = chain_audits(s, actor, [(action, payload)], clock)
    return entry


def chain_audits(
    s: Session, actor: str, items: Sequence[tuple[str, dict[str, Any]]], clock: Clock
) -> list[AuditEntry]:
    """Chain several entries at once: one read of the last entry's seq and hash, one insert,
    one head update, all as Core statements (a batch of verdicts costs little more than the
    hashes of its links)."""
    s.flush()
    connection = s.connection()
    last = connection.execute(
        select(_LOG.c.seq, _LOG.c.entry_hash).order_by(_LOG.c.seq.desc()).limit(1)
    ).first()
    seq, previous = (0, GENESIS_HASH) if last is None else (int(last.seq), str(last.entry_hash))
    key: bytes | None = s.info.get(AUDIT_KEY_INFO)
    at = clock.now()
    entries = []
    for action, payload in items:
        entry = link(seq, previous, actor, action, payload, at, key)
        seq, previous = entry.seq, entry.entry_hash
        entries.append(entry)
    if entries:
        connection.execute(insert(_LOG), [e.model_dump() for e in entries])
        if key is not None:  # unsigned, the head row would vouch for nothing
            _move_head(s, seq, previous)
        s.info[AUDIT_HEAD_INFO] = (seq, previous)  # for the witness, after commit
    return entries


def _move_head(s: Session, seq: int, head_hash: str) -> None:
    key: bytes | None = s.info.get(AUDIT_KEY_INFO)
    mac = None if key is None else head_mac(key, seq, head_hash)
    values = {"seq": seq, "head_hash": head_hash, "mac": mac}
    connection = s.connection()
    if connection.execute(update(_HEAD).where(_HEAD.c.id == 1).values(values)).rowcount == 0:
        connection.execute(insert(_HEAD).values(id=1, **values))
    s.info[AUDIT_HEAD_INFO] = (seq, head_hash)


def lock_written(s: Session) -> None:
    """Take the audit lock in a transaction that has already written: on SQLite that write holds
    the RESERVED lock already (no other writer until commit); PostgreSQL takes the advisory lock
    (re-entrant within a transaction)."""
    if s.get_bind().dialect.name == "postgresql":
        s.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": AUDIT_LOCK_KEY})


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
        mac=row.mac,
    )
