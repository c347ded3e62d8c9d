"""The audit log from Python: record state changes, verify the chain, anchor it, export it.

The side of `safetyloop audit verify|anchor|export` a library user calls; the CLI only parses
and prints.

    from safetyloop.governance.audit import verify_audit, export_audit
    report = verify_audit(witness=Path("/secure/audit.witness"))
    report.ok, report.first_bad_seq, report.reason, report.covers, report.anchors
    export_audit(Path("audit.jsonl"), exporter="alice")

The key comes from SAFETYLOOP_AUDIT_KEY only (never an argument: it would land in shell
history); the witness from `witness`, else SAFETYLOOP_AUDIT_WITNESS.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from safetyloop._hashing import canonical_json
from safetyloop.audit_chain import AuditEntry, time_text
from safetyloop.clock import Clock, SystemClock
from safetyloop.errors import StorageError
from safetyloop.governance._actor import current_actor
from safetyloop.governance._verify import UNANCHORED, AuditReport, check_audit
from safetyloop.store import AuditHead, Store, read_witness

__all__ = [
    "UNANCHORED",
    "AuditReport",
    "ExportSummary",
    "anchor_audit",
    "export_audit",
    "read_export",
    "record",
    "verify_audit",
]


def record(
    store: Store,
    action: str,
    payload: dict[str, Any],
    *,
    actor: str | None = None,
    clock: Clock | None = None,
) -> AuditEntry:
    """Append `action` to the audit log, as `actor` (default: `current_actor()`)."""
    return store.append_audit(actor or current_actor(), action, payload, clock or SystemClock())


def verify_audit(store_url: str | None = None, *, witness: Path | None = None) -> AuditReport:
    """Verify the chain, its signatures (with a key) and witness (if any), and every result,
    score, gate decision and signature against the digest the chain holds for it; name the
    first broken link and what it covers."""
    with Store(store_url) as store:
        return _report(store, witness)


def _report(store: Store, witness: Path | None) -> AuditReport:
    anchors = store.anchors if witness is None else type(store.anchors)(store.anchors.key, witness)
    return check_audit(
        store.audit_entries(),
        store.audit_head(),
        store.covered_rows(),
        key=anchors.key,
        witness=None if anchors.witness is None else read_witness(anchors.witness),
        runs=store.count_runs(),
    )


def anchor_audit(
    store_url: str | None = None, *, witness: Path | None = None
) -> tuple[AuditReport, AuditHead | None]:
    """Verify, then sign the current head with the key and append it to the witness.

    For a store written before it had anchors, or to record a head now: a broken chain is
    refused, since anchoring it would vouch for the tampering.
    """
    with Store(store_url) as store:
        if witness is not None:
            store.anchors = type(store.anchors)(store.anchors.key, witness)
        if not store.anchors.names:
            raise StorageError(
                "nothing to anchor with: no SAFETYLOOP_AUDIT_KEY and no witness file",
                hint="set SAFETYLOOP_AUDIT_KEY, or give --witness PATH (SAFETYLOOP_AUDIT_WITNESS)",
            )
        head = store.audit_head()
        witness_file = store.anchors.witness
        report = check_audit(  # a head signed before must still verify under the key
            store.audit_entries(),
            head,
            store.covered_rows(),
            key=store.anchors.key if head is not None and head.mac is not None else None,
            witness=read_witness(witness_file)
            if witness_file is not None and witness_file.exists()
            else None,
        )
        if not report.ok:
            raise StorageError(
                f"the audit chain is broken, refusing to anchor it: {report.reason}",
                hint="run `safetyloop audit verify` and investigate the named entry",
            )
        return report, store.sign_audit_head()


@dataclass(frozen=True)
class ExportSummary:
    """What an export wrote: the sign-off line's fields."""

    path: Path
    exporter: str
    at: datetime
    count: int
    head_hash: str


def export_audit(
    path: Path,
    *,
    exporter: str | None = None,
    store_url: str | None = None,
    clock: Clock | None = None,
) -> ExportSummary:
    """Write every entry as JSONL, then a sign-off line naming the exporter and the chain head.

    A broken chain is refused: a sign-off vouches that the entries verified when exported.
    """
    with Store(store_url) as store:
        entries = store.audit_entries()
        result = _report(store, None)
    if not result.ok:
        raise StorageError(
            f"the audit chain is broken, refusing to sign it off: {result.reason}",
            hint="run `safetyloop audit verify` and investigate the named entry",
        )
    who = exporter or current_actor()
    at = (clock or SystemClock()).now()
    lines = [canonical_json({"kind": "entry", **e.model_dump(mode="json")}) for e in entries]
    signoff = {
        "kind": "signoff",
        "exporter": who,
        "at": time_text(at),
        "count": result.count,
        "head_hash": result.head_hash,
    }
    lines.append(canonical_json(signoff))
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    return ExportSummary(path, who, at, result.count, result.head_hash)


def read_export(path: Path) -> tuple[list[AuditEntry], dict[str, Any]]:
    """Entries and sign-off of an exported bundle, to verify it away from the store."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    entries = [AuditEntry.model_validate(r) for r in rows if r.get("kind") == "entry"]
    signoff: dict[str, Any] = next((r for r in rows if r.get("kind") == "signoff"), {})
    return entries, signoff
