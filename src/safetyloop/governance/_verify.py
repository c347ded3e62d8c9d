"""Verifying the whole audit record: the chain, its signatures, its witness, and the verdict rows
it covers. Pure: the store hands over entries, the head row, digested rows and witness marks.

Each check names the first place it finds broken; the report gives the earliest of them (lowest
entry seq; a row no entry covers comes last) and says what that entry covers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict

from safetyloop.audit_chain import GENESIS_HASH, AuditEntry, entry_mac, head_mac, same_mac, verify
from safetyloop.store import COVER_ACTION, COVERAGE_STARTED, AuditHead, CoveredRow, WitnessMark

#: What a chain with neither a key nor a witness cannot show, said whenever it is unanchored.
UNANCHORED = (
    "the chain is UNANCHORED (no SAFETYLOOP_AUDIT_KEY, no witness file): deleting its last "
    "entries or all of them, appending forged entries with recomputed hashes, and rewriting it "
    "wholesale cannot be detected"
)
_KIND_OF_ACTION = {action: kind for kind, action in COVER_ACTION.items()}


class AuditReport(BaseModel):
    """The outcome of `verify_audit`: intact or the first broken link, what it covers, and what
    anchored the check."""

    model_config = ConfigDict(frozen=True)

    ok: bool
    count: int
    first_bad_seq: int | None = None
    reason: str | None = None
    #: What the first broken link covers: a row kind and id ("score 12 (run …)") or an entry.
    covers: str | None = None
    head_hash: str = GENESIS_HASH
    #: Rows of results, scores, gate decisions and signatures checked against their digests.
    rows: int = 0
    #: The anchors checked: "key", "witness"; empty means unanchored.
    anchors: list[str] = []
    notes: list[str] = []


@dataclass(frozen=True)
class _Problem:
    seq: int | None
    reason: str
    covers: str | None


def check_audit(
    entries: Sequence[AuditEntry],
    head: AuditHead | None,
    rows: Sequence[CoveredRow],
    *,
    key: bytes | None = None,
    witness: Sequence[WitnessMark] | None = None,
    runs: int = 0,
) -> AuditReport:
    """Check everything; `witness=None` means no witness was given (an empty list: an empty one).

    `runs`: how many evaluation runs the store holds (each audited `run.started`), so that with a
    key an emptied chain is told from a store nothing was ever written to.
    """
    by_seq = {e.seq: e for e in entries}
    problems = [
        p
        for p in (
            _chain(entries),
            _signatures(entries, head, bool(rows) or runs > 0, key) if key is not None else None,
            _witnessed(entries, witness) if witness is not None else None,
            _coverage(entries, rows),
        )
        if p is not None
    ]
    anchors = [n for n, on in (("key", key is not None), ("witness", witness is not None)) if on]
    notes = [] if anchors else [UNANCHORED]
    before = _coverage_started(entries)
    legacy = sum(1 for r in rows if r.id <= before[r.kind])
    if legacy:
        notes.append(
            f"{legacy} verdict rows were stored before the chain covered verdicts (migration "
            "0010): the chain holds no digest of them"
        )
    unsigned = sum(1 for e in entries if e.mac is None)
    if key is not None and unsigned:
        notes.append(
            f"{unsigned} entries were written without the key: the signed head covers them"
        )
    base = {
        "count": len(entries),
        "head_hash": entries[-1].entry_hash if entries else GENESIS_HASH,
        "rows": len(rows),
        "anchors": anchors,
        "notes": notes,
    }
    if not problems:
        return AuditReport(ok=True, **base)
    first = min(problems, key=lambda p: (p.seq is None, p.seq or 0))
    covers = first.covers
    if covers is None and first.seq is not None:
        found = by_seq.get(first.seq)
        covers = f"audit entry {first.seq}" if found is None else _covers(found)
    return AuditReport(
        ok=False, first_bad_seq=first.seq, reason=first.reason, covers=covers, **base
    )


def _covers(e: AuditEntry) -> str:
    if e.action in _KIND_OF_ACTION:
        return str(e.payload.get("ref") or f"{_KIND_OF_ACTION[e.action]} {e.payload.get('id')}")
    return f"audit entry {e.seq} ({e.action} by {e.actor})"


def _chain(entries: Sequence[AuditEntry]) -> _Problem | None:
    result = verify(entries)
    if result.ok:
        return None
    return _Problem(result.first_bad_seq, result.reason or "broken", None)


def _signatures(
    entries: Sequence[AuditEntry], head: AuditHead | None, written: bool, key: bytes
) -> _Problem | None:
    signed_from: int | None = None
    for e in entries:
        if e.mac is None:
            if signed_from is not None:
                return _Problem(
                    e.seq,
                    f"entry {e.seq} is unsigned although the chain is signed from entry "
                    f"{signed_from} on (appended without the key: forged)",
                    None,
                )
            continue
        signed_from = signed_from or e.seq
        if not same_mac(entry_mac(key, e.entry_hash), e.mac):
            return _Problem(
                e.seq,
                f"entry {e.seq}: its signature does not match (forged or rewritten with "
                "recomputed hashes, or a different key)",
                None,
            )
    last = entries[-1] if entries else None
    if head is None:
        if last is None and not written:
            return None  # a store nothing was ever written to (or emptied of runs too)
        return _Problem(
            1 if last is None else last.seq,
            "the chain has no signed head (its head row was deleted)",
            None,
        )
    if not same_mac(head_mac(key, head.seq, head.head_hash), head.mac):
        return _Problem(
            head.seq,
            f"the chain head (entry {head.seq}) is not signed with the key (forged head, or a "
            "store written without the key: sign it with `safetyloop audit anchor`)",
            None,
        )
    if last is None or head.seq > last.seq:
        missing = 1 if last is None else last.seq + 1
        return _Problem(
            missing,
            f"entries {missing} to {head.seq} are missing: the signed head is entry {head.seq} "
            "(truncated)",
            f"audit entries {missing}-{head.seq}",
        )
    if head.seq < last.seq:
        return _Problem(
            head.seq + 1,
            f"entries {head.seq + 1} to {last.seq} come after the signed head (entry "
            f"{head.seq}): appended without the key (forged)",
            None,
        )
    if head.head_hash != last.entry_hash:
        return _Problem(
            last.seq, f"entry {last.seq} is not the signed head (chain rewritten)", None
        )
    return None


def _witnessed(entries: Sequence[AuditEntry], marks: Sequence[WitnessMark]) -> _Problem | None:
    by_seq = {e.seq: e for e in entries}
    found: list[_Problem] = []
    for m in marks:
        e = by_seq.get(m.seq)
        if e is None:
            found.append(
                _Problem(
                    m.seq,
                    f"entry {m.seq} is missing, but the witness recorded it as the head (line "
                    f"{m.line}): truncated or deleted",
                    f"audit entry {m.seq}",
                )
            )
        elif e.entry_hash != m.head_hash:
            found.append(
                _Problem(
                    m.seq,
                    f"entry {m.seq} differs from the head the witness recorded (line {m.line}): "
                    "the chain was rewritten",
                    None,
                )
            )
    seen = max((m.seq for m in marks), default=0)
    if entries and entries[-1].seq > seen:
        found.append(
            _Problem(
                seen + 1,
                f"entries {seen + 1} to {entries[-1].seq} come after the last head the witness "
                f"recorded (entry {seen}): appended without the witness (forged, or written by "
                "a process without SAFETYLOOP_AUDIT_WITNESS: then record the head with "
                "`safetyloop audit anchor`)",
                None,
            )
        )
    return min(found, key=lambda p: p.seq or 0) if found else None


def _coverage_started(entries: Sequence[AuditEntry]) -> dict[str, int]:
    """Per row kind, the highest id stored before coverage began (0: covered from the start)."""
    started = {k: 0 for k in COVER_ACTION}
    for e in entries:
        if e.action == COVERAGE_STARTED:
            started.update({k: int(v) for k, v in e.payload.items() if k in started})
    return started


def _coverage(entries: Sequence[AuditEntry], rows: Sequence[CoveredRow]) -> _Problem | None:
    """Every covered row matches its entry's digest; every row after coverage began has one."""
    started = _coverage_started(entries)
    covering: dict[tuple[str, int], AuditEntry] = {}
    found: list[_Problem] = []
    for e in entries:
        kind = _KIND_OF_ACTION.get(e.action)
        if kind is None:
            continue
        ref = (kind, int(e.payload.get("id", -1)))
        if ref in covering:
            found.append(
                _Problem(e.seq, f"entry {e.seq} covers {_covers(e)} a second time (forged)", None)
            )
        covering.setdefault(ref, e)
    stored = {(r.kind, r.id): r for r in rows}
    for ref, e in covering.items():
        row = stored.get(ref)
        if row is None:
            found.append(
                _Problem(
                    e.seq,
                    f"entry {e.seq} covers {_covers(e)}, which is no longer in the store (deleted)",
                    _covers(e),
                )
            )
        elif row.digest != e.payload.get("digest"):
            found.append(
                _Problem(
                    e.seq,
                    f"{row.label} was changed after entry {e.seq} recorded it (edited)",
                    row.label,
                )
            )
    for ref, row in stored.items():
        if ref not in covering and row.id > started[row.kind]:
            found.append(
                _Problem(
                    None,
                    f"{row.label} is in the store but in no audit entry (inserted outside "
                    "safetyloop)",
                    row.label,
                )
            )
    return min(found, key=lambda p: (p.seq is None, p.seq or 0)) if found else None
