"""Freshness: an argument that goes stale becomes alignment debt, which the gate already ages.

Three things open a debt item (principle `risk:<pathway>`, the pathway's severity): evidence
older than its policy's max age, an expired attestation, and a capability jump past a trigger
since the last recorded report. Each is keyed (`evidence.risk_gap`), so running the report
again opens nothing new while the item is open. The gate then treats it like any debt: PASS,
then WARN, then BLOCK as it ages (the policy's `debt_aging`).

When the report is argued again and a pathway's stale evidence or expired attestation is gone
(fresh evidence arrived, a new attestation was approved), its item clears through the ledger
(`clear_resolved`, actor `system:risk-freshness`, audited `debt.cleared`). A capability jump's
item is not cleared this way: people re-argue the pathways and clear it on the ledger.
"""

from __future__ import annotations

from fnmatch import fnmatchcase

from pydantic import BaseModel, ConfigDict

from safetyloop._hashing import content_hash
from safetyloop.clock import Clock
from safetyloop.governance.debt import DebtItem, clear_resolved, list_debt, open_debt
from safetyloop.risk._argument import RiskArgument
from safetyloop.risk._pathways import PathwayFile
from safetyloop.risk.records import RecordedReport
from safetyloop.store import Store

__all__ = ["FreshnessDebt", "figure_key", "open_freshness_debt"]

#: Where a debt item keeps the keys of the gaps it stands for.
KEY = "risk_gap"
#: Where it keeps the target version whose argument opened it, and the claim (`pathway/claim`).
TARGET = "target_versions"
CLAIM = "risk_claims"
#: The system check that clears an item once its gap is gone.
ACTOR = "system:risk-freshness"


class FreshnessDebt(BaseModel):
    """A debt item the argument needs (opened now, or already open) or cleared now."""

    model_config = ConfigDict(frozen=True)

    debt_id: str
    principle: str
    severity: str
    description: str
    opened: bool
    cleared: bool = False

    @property
    def state(self) -> str:
        """How the report shows it."""
        if self.cleared:
            return "cleared now: its evidence is current again"
        return "opened now" if self.opened else "already open"


def figure_key(source: str, metric: str) -> str:
    return f"{source}|{metric}"


def _needed(
    argument: RiskArgument, spec: PathwayFile, previous: RecordedReport | None
) -> list[tuple[str, str, str, str, list[str]]]:
    """(key, principle, severity, description, claims) for every gap that must be debt."""
    out = []
    for p in argument.pathways:
        for c in p.claims:
            for e in c.evidence:
                where = f"{p.name} — claim {c.id}"
                if "stale" in e.gaps:
                    key = content_hash(["stale", p.id, c.id, e.source, e.metric, e.run_id])
                    text = f"risk report: stale evidence for {where}: {e.label}: {e.why}"
                    out.append((key, f"risk:{p.id}", p.severity, text, [f"{p.id}/{c.id}"]))
                if "expired" in e.gaps and e.attestation is not None:
                    key = content_hash(["expired", p.id, c.id, e.attestation.id])
                    text = f"risk report: expired attestation for {where}: {e.why}"
                    out.append((key, f"risk:{p.id}", p.severity, text, [f"{p.id}/{c.id}"]))
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
                out.append((key, "risk:capability-jump", t.severity, text, []))
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
    capability jumps call for, and clear those of its pathways it no longer needs; returns each,
    new, already open or cleared now."""
    now = clock.now()
    items = list_debt(store, status="open", at=now)
    held = {k: d for d in items for k in d.evidence.get(KEY, [])}
    needed = _needed(argument, spec, previous)
    out = _clear_resolved(store, argument, items, {key for key, *_ in needed}, clock)
    for key, principle, severity, text, claims in needed:
        item = held.get(key)
        opened = item is None
        if item is None:
            item = open_debt(
                store,
                principle=principle,
                severity=severity,
                description=text,
                owner=owner,
                evidence={KEY: [key], TARGET: [argument.target_version], CLAIM: claims},
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


def _clear_resolved(
    store: Store, argument: RiskArgument, items: list[DebtItem], needed: set[str], clock: Clock
) -> list[FreshnessDebt]:
    """Clear the open items of this target's argument whose gaps are gone and whose claims are
    now supported (a new attestation awaiting its approvers supports nothing yet)."""
    supported = {f"{p.id}/{c.id}" for p in argument.pathways for c in p.claims if c.supported}
    out = []
    for d in items:
        keys, claims = d.evidence.get(KEY, []), d.evidence.get(CLAIM, [])
        if (
            not keys
            or not claims
            or argument.target_version not in d.evidence.get(TARGET, [])
            or needed.intersection(keys)
            or not supported.issuperset(claims)
        ):
            continue
        detail = {"target_version": argument.target_version, "argued_at": clock.now().isoformat()}
        clear_resolved(store, d.id, key=KEY, actor=ACTOR, detail=detail, clock=clock)
        out.append(
            FreshnessDebt(
                debt_id=d.id,
                principle=d.principle,
                severity=d.severity,
                description=d.description,
                opened=False,
                cleared=True,
            )
        )
    return out
