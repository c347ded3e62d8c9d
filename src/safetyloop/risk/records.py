"""Reports and critiques on the audit log: what was concluded, its hash, and what reviewers said.

A written risk report is recorded as one audit entry (`report.risk`) holding its id, target
version, conclusion, each pathway's status, the SHA-256 of every file written and the figures
it rested on (so the next report can see a capability jump). An external reviewer's critique
(`report.critique`) names the report; an answer (`report.answer`) names the critique. The
audit chain is tamper-evident and signed, which is what these statements need; no table.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from safetyloop.clock import Clock
from safetyloop.errors import InputError
from safetyloop.governance._session import new_id
from safetyloop.risk._lookup import by_prefix
from safetyloop.store import Store

__all__ = [
    "Critique",
    "RecordedReport",
    "add_critique",
    "answer_critique",
    "list_critiques",
    "list_reports",
    "record_report",
    "reports_with_hash",
]

REPORT, CRITIQUE, ANSWER = "report.risk", "report.critique", "report.answer"


class RecordedReport(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    target_version: str
    status: str
    sha256: dict[str, str]
    pathways: dict[str, str]
    figures: dict[str, float]
    recorded_by: str
    recorded_at: datetime
    audit_seq: int


class Critique(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    report_id: str
    reviewer: str
    text: str
    at: datetime
    answers: list[dict[str, Any]] = []


def record_report(
    store: Store,
    *,
    report_id: str,
    target_version: str,
    status: str,
    pathways: dict[str, str],
    figures: dict[str, float],
    sha256: dict[str, str],
    actor: str,
    clock: Clock,
) -> RecordedReport:
    """Append the report's audit entry; returns it as recorded."""
    payload = {
        "id": report_id,
        "target_version": target_version,
        "status": status,
        "sha256": sha256,
        "pathways": pathways,
        "figures": figures,
    }
    entry = store.append_audit(actor, REPORT, payload, clock)
    return RecordedReport(**payload, recorded_by=actor, recorded_at=entry.at, audit_seq=entry.seq)


def list_reports(store: Store) -> list[RecordedReport]:
    """Every recorded risk report, oldest first."""
    return [
        RecordedReport(**e.payload, recorded_by=e.actor, recorded_at=e.at, audit_seq=e.seq)
        for e in store.audit_entries()
        if e.action == REPORT
    ]


def reports_with_hash(store: Store, sha256: str) -> list[tuple[RecordedReport, str]]:
    """Each recorded report that wrote a file with this SHA-256, with the file's name then."""
    return [(r, name) for r in list_reports(store) for name, d in r.sha256.items() if d == sha256]


def _report(store: Store, ref: str) -> RecordedReport:
    hint = "the id is printed by `safetyloop report risk`"
    return by_prefix(list_reports(store), ref, "recorded risk report", hint)


def add_critique(
    store: Store, report_id: str, *, text: str, reviewer: str, clock: Clock
) -> Critique:
    """Attach an external reviewer's critique to a recorded report."""
    if not text.strip():
        raise InputError("a critique needs text")
    report = _report(store, report_id)
    payload = {"id": new_id("crit"), "report_id": report.id, "text": text}
    entry = store.append_audit(reviewer, CRITIQUE, payload, clock)
    return Critique(**payload, reviewer=reviewer, at=entry.at)


def answer_critique(
    store: Store, critique_id: str, *, text: str, actor: str, clock: Clock
) -> Critique:
    """Answer a critique (any number of answers, each audited)."""
    if not text.strip():
        raise InputError("an answer needs text")
    hint = "see `safetyloop report critique list`"
    found = by_prefix(list_critiques(store), critique_id, "critique", hint)
    store.append_audit(actor, ANSWER, {"critique_id": found.id, "text": text}, clock)
    return next(c for c in list_critiques(store) if c.id == found.id)


def list_critiques(store: Store, report_id: str | None = None) -> list[Critique]:
    """Critiques (of one report, or all), oldest first, each with its answers."""
    critiques: dict[str, Critique] = {}
    for e in store.audit_entries():
        if e.action == CRITIQUE:
            critiques[e.payload["id"]] = Critique(**e.payload, reviewer=e.actor, at=e.at)
        elif e.action == ANSWER and e.payload["critique_id"] in critiques:
            c = critiques[e.payload["critique_id"]]
            answer = {"by": e.actor, "at": e.at.isoformat(), "text": e.payload["text"]}
            critiques[c.id] = c.model_copy(update={"answers": [*c.answers, answer]})
    return [c for c in critiques.values() if report_id is None or c.report_id.startswith(report_id)]
