"""Freshness: an argument that goes stale becomes alignment debt, which the gate already ages.

Three things open a debt item (principle `risk:<pathway>`, the pathway's severity): evidence
older than its policy's max age, an expired attestation, and a capability jump past a trigger
since the last recorded report. Each is keyed (`evidence.risk_gap`), so running the report
again opens nothing new while the item is open. The gate then treats it like any debt: PASS,
then WARN, then BLOCK as it ages (the policy's `debt_aging`).
"""

from __future__ import annotations

from fnmatch import fnmatchcase

from pydantic import BaseModel, ConfigDict

from safetyloop._hashing import content_hash
from safetyloop.clock import Clock
from safetyloop.governance.debt import list_debt, open_debt
from safetyloop.risk._argument import RiskArgument
from safetyloop.risk._pathways import PathwayFile
from safetyloop.risk.records import RecordedReport
from safetyloop.store import Store

__all__ = ["FreshnessDebt", "figure_key", "open_freshness_debt"]

#: Where a debt item keeps the keys of the gaps it stands for.
KEY = "risk_gap"


class FreshnessDebt(BaseModel):
    """A debt item the argument needs: opened now, or already open."""

    model_config = ConfigDict(frozen=True)

    debt_id: str
    principle: str
    severity: str
    description: str
    opened: bool


def figure_key(source: str, metric: str) -> str:
    return f"{source}|{metric}"


def _needed(
    argument: RiskArgument, spec: PathwayFile, previous: RecordedReport | None
) -> list[tuple[str, str, str, str]]:
    """(key, principle, severity, description) for every gap that must be debt."""
    out = []
    for p in argument.pathways:
        for c in p.claims:
            for e in c.evidence:
                where = f"{p.name} — claim {c.id}"
                if "stale" in e.gaps:
                    key = content_hash(["stale", p.id, c.id, e.source, e.metric, e.run_id])
                    text = f"risk report: stale evidence for {where}: {e.label}: {e.why}"
                    out.append((key, f"risk:{p.id}", p.severity, text))
                if "expired" in e.gaps and e.attestation is not None:
                    key = content_hash(["expired", p.id, c.id, e.attestation.id])
                    text = f"risk report: expired attestation for {where}: {e.why}"
                    out.append((key, f"risk:{p.id}", p.severity, text))
    if previous is None:
        return out
    for t in spec.triggers:
        for f in argument.figures:
            before = previous.figures.get(figure_key(f.source, f.metric))
            if f.source != t.source or not fnmatchcase(f.metric, t.metric) or before is None:
                continue
            if f.value - before >= t.jump:
                key = content_hash(["jump", f.source, f.metric, previous.id])
                text = (
                    f"risk report: capability jump: {f.metric} rose from {before:.3f} to "
                    f"{f.value:.3f} (run {f.run_id}), past the trigger +{t.jump:g} since report "
                    f"{previous.id}; re-argue every pathway"
                )
                out.append((key, "risk:capability-jump", t.severity, text))
    return out


def open_freshness_debt(
    store: Store,
    argument: RiskArgument,
    spec: PathwayFile,
    *,
    previous: RecordedReport | None,
    owner: str,
    actor: str,
    clock: Clock,
) -> list[FreshnessDebt]:
    """Open (once) the debt items the argument's stale evidence, expired attestations and
    capability jumps call for; returns each, new or already open."""
    now = clock.now()
    held = {k: d for d in list_debt(store, status="open", at=now) for k in d.evidence.get(KEY, [])}
    out = []
    for key, principle, severity, text in _needed(argument, spec, previous):
        item = held.get(key)
        opened = item is None
        if item is None:
            item = open_debt(
                store,
                principle=principle,
                severity=severity,
                description=text,
                owner=owner,
                evidence={KEY: [key]},
                actor=actor,
                clock=clock,
            )
            held[key] = item
        out.append(
            FreshnessDebt(
                debt_id=item.id,
                principle=principle,
                severity=severity,
                description=text,
                opened=opened,
            )
        )
    return out
