"""The tamper-evident audit log: an append-only hash chain over every state change.

Each entry commits to its own fields, the hash of its payload and the hash of the entry before
it, so editing, deleting, inserting or reordering any entry breaks the chain at that point.
These are pure functions over `AuditEntry` records, below the store that persists them
(`safetyloop.store`) and the governance that writes them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from safetyloop._hashing import canonical_json, content_hash

#: The `prev_hash` of the first entry: there is nothing before it.
GENESIS_HASH = "0" * 64


class AuditEntry(BaseModel):
    """One link of the chain. `entry_hash` covers every other field (payload via its hash)."""

    model_config = ConfigDict(frozen=True)

    seq: int
    actor: str
    at: datetime
    action: str
    payload: dict[str, Any]
    payload_hash: str
    prev_hash: str
    entry_hash: str


class VerifyResult(BaseModel):
    """The outcome of `verify`: where the chain first breaks, and why."""

    model_config = ConfigDict(frozen=True)

    ok: bool
    count: int
    first_bad_seq: int | None = None
    reason: str | None = None
    #: `entry_hash` of the last entry (GENESIS_HASH for an empty log): the value to anchor.
    head_hash: str = GENESIS_HASH


def time_text(at: datetime) -> str:
    """The one text form of a time that is hashed: UTC, microseconds, ISO 8601.

    The store hands every time back aware (`store._types.UTCDateTime`); a naive time is ambiguous,
    so it is refused rather than guessed.
    """
    if at.tzinfo is None:
        raise ValueError("audit times must be timezone-aware")
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def normalise_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """The payload as the database will store it, so its hash survives the round trip."""
    value: dict[str, Any] = json.loads(canonical_json(payload))
    return value


def entry_hash(
    seq: int, actor: str, at: datetime, action: str, payload_hash: str, prev_hash: str
) -> str:
    """SHA-256 over the canonical JSON of an entry's fields, in a fixed order."""
    return content_hash([seq, actor, time_text(at), action, payload_hash, prev_hash])


def chain_entry(
    previous: AuditEntry | None, actor: str, action: str, payload: dict[str, Any], at: datetime
) -> AuditEntry:
    """The entry that follows `previous` (None: the first entry of the log)."""
    body = normalise_payload(payload)
    seq = 1 if previous is None else previous.seq + 1
    prev = GENESIS_HASH if previous is None else previous.entry_hash
    moment = datetime.fromisoformat(time_text(at))
    p_hash = content_hash(body)
    return AuditEntry(
        seq=seq,
        actor=actor,
        at=moment,
        action=action,
        payload=body,
        payload_hash=p_hash,
        prev_hash=prev,
        entry_hash=entry_hash(seq, actor, moment, action, p_hash, prev),
    )


def verify(entries: Sequence[AuditEntry]) -> VerifyResult:
    """Check the chain in the order given (the store gives seq order) and name the first break.

    Per entry: its payload against its hash, its fields against its entry hash, its seq against
    the next expected one, and its link to the previous entry.
    """
    present = {e.seq for e in entries}
    prev_hash, expected = GENESIS_HASH, 1
    for e in entries:
        problem = _check(e, expected, prev_hash, present)
        if problem is not None:
            bad_seq, reason = problem
            return VerifyResult(
                ok=False,
                count=len(entries),
                first_bad_seq=bad_seq,
                reason=reason,
                head_hash=prev_hash,
            )
        prev_hash, expected = e.entry_hash, e.seq + 1
    return VerifyResult(ok=True, count=len(entries), head_hash=prev_hash)


def _check(
    e: AuditEntry, expected: int, prev_hash: str, present: set[int]
) -> tuple[int, str] | None:
    if content_hash(e.payload) != e.payload_hash:
        return e.seq, f"entry {e.seq}: payload does not match its hash (modified payload)"
    if entry_hash(e.seq, e.actor, e.at, e.action, e.payload_hash, e.prev_hash) != e.entry_hash:
        return e.seq, f"entry {e.seq}: fields do not match its entry hash (modified entry)"
    if e.seq > expected:
        if expected in present:
            return e.seq, f"entry {e.seq} comes before entry {expected} (reordered)"
        return expected, f"entry {expected} is missing: the chain jumps to {e.seq} (deleted)"
    if e.seq < expected:
        return e.seq, f"entry {e.seq} appears again or out of order after {expected - 1}"
    if e.prev_hash != prev_hash:
        return e.seq, (
            f"entry {e.seq}: does not link to the entry before it (inserted, replaced or reordered)"
        )
    return None
