"""The audit log from Python: record state changes, verify the chain, export a signed-off bundle.

The side of `safetyloop audit verify|export` a library user calls; the CLI only parses and prints.

    from safetyloop.governance.audit import verify_audit, export_audit
    result = verify_audit()                     # VerifyResult(ok, count, first_bad_seq, reason)
    export_audit(Path("audit.jsonl"), exporter="alice")
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from safetyloop._hashing import canonical_json
from safetyloop.audit_chain import AuditEntry, VerifyResult, time_text, verify
from safetyloop.clock import Clock, SystemClock
from safetyloop.errors import StorageError
from safetyloop.governance._actor import current_actor
from safetyloop.store import Store

__all__ = ["ExportSummary", "export_audit", "read_export", "record", "verify_audit"]


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


def verify_audit(store_url: str | None = None) -> VerifyResult:
    """Verify the whole stored chain and name the first bad entry, if any."""
    with Store(store_url) as store:
        return verify(store.audit_entries())


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
    result = verify(entries)
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
