"""The tamper-evident audit log: an append-only hash chain over every state change.

Each entry commits to its own fields, the hash of its payload and the hash of the entry before
it, so editing, deleting, inserting or reordering any entry breaks the chain at that point.
A chain alone cannot see its own end cut off, or a forger who recomputes every hash; so when a
key is given each entry and the head are also signed (HMAC-SHA256, `entry_mac`, `head_mac`).
These are pure functions over `AuditEntry` records, below the store that persists them
(`safetyloop.store`) and the governance that writes them.
"""

from __future__ import annotations

import hashlib
import hmac
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
    #: HMAC-SHA256 of `entry_hash` under the audit key (None: written without a key).
    mac: str | None = None


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


def entry_mac(key: bytes, entry_hash: str) -> str:
    """An entry's signature: without the key nobody can sign a forged or rehashed entry."""
    return hmac.new(key, f"entry:{entry_hash}".encode(), hashlib.sha256).hexdigest()


def head_mac(key: bytes, seq: int, head_hash: str) -> str:
    """The head's signature: it names the last entry, so cutting entries off is seen."""
    return hmac.new(key, f"head:{seq}:{head_hash}".encode(), hashlib.sha256).hexdigest()


def same_mac(expected: str, given: str | None) -> bool:
    """Compare signatures in constant time (None never matches)."""
    return given is not None and hmac.compare_digest(expected, given)


def chain_entry(
    previous: AuditEntry | None,
    actor: str,
    action: str,
    payload: dict[str, Any],
    at: datetime,
    key: bytes | None = None,
) -> AuditEntry:
    """The entry that follows `previous` (None: the first entry of the log), signed if `key`."""
    if previous is None:
        return link(0, GENESIS_HASH, actor, action, payload, at, key)
    return link(previous.seq, previous.entry_hash, actor, action, payload, at, key)


def link(
    last_seq: int,
    last_hash: str,
    actor: str,
    action: str,
    payload: dict[str, Any],
    at: datetime,
    key: bytes | None = None,
) -> AuditEntry:
    """The entry after the one at `last_seq` with hash `last_hash` (0 and GENESIS_HASH: none);
    all an append needs to read of the log is those two values."""
    body = normalise_payload(payload)
    seq = last_seq + 1
    prev = last_hash
    moment = datetime.fromisoformat(time_text(at))
    p_hash = content_hash(body)
    e_hash = entry_hash(seq, actor, moment, action, p_hash, prev)
    return AuditEntry(
        seq=seq,
        actor=actor,
        at=moment,
        action=action,
        payload=body,
        payload_hash=p_hash,
        prev_hash=prev,
        entry_hash=e_hash,
        mac=None if key is None else entry_mac(key, e_hash),
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
