"""Governance at the gate: approved exceptions, aged debt and pending reviews, as findings.

A separate step after `evaluate`, so the measured decision stays pure and governance is visible
rule by rule in every output format:

* `exception` — an approved, unexpired exception turns its principles' BLOCK findings into WARN
  (each rewritten finding says so) and adds a WARN finding naming the exception.
* `debt-aging` — each open debt item at its aging level: BLOCK at the severity's block age
  (applied after exceptions: an exception does not waive aged debt), WARN when warned or
  escalated, PASS below.
* `awaiting-review` — review items about this run at a tier whose policy holds releases
  (`hold_release`, tiers 2 and 3 by default), still undecided: BLOCK, naming each item and its
  tier, until people decide. Past its SLA the item escalates as usual and still holds.
* `review-rejected` — such an item that people rejected: BLOCK (rejecting is not shipping).
* `pending-review` — the other review items of this run or target still waiting for people,
  with overdue ones and where they escalated to: WARN when any is tier 2 or 3 or past its SLA;
  tier-1 items within their SLA (a borderline verdict, thin evidence) are reported as PASS.

* confirmed findings — a finding a person may settle (`judge-is-guard`) becomes PASS on its
  principle once the review item it queued for this run is approved, naming the review.

Non-PASS findings for a principle the constitution does not have go to a `governance`
pseudo-principle (PASS ones about such principles are left out).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from pydantic import BaseModel, ConfigDict

from safetyloop.gate._independence import JUDGE_IS_GUARD
from safetyloop.gate._model import (
    Decision,
    Finding,
    PrincipleResult,
    Status,
    decision_status,
    principle_status,
    worst,
)

#: Rule ids of the governance step.
EXCEPTION, DEBT_AGING, PENDING_REVIEW = "exception", "debt-aging", "pending-review"
AWAITING_REVIEW, REVIEW_REJECTED = "awaiting-review", "review-rejected"
#: Rules whose WARN findings people settle by approving the review item the finding queued.
CONFIRMABLE = frozenset({JUDGE_IS_GUARD})
#: Where findings about principles outside the constitution are reported.
GOVERNANCE_PRINCIPLE = "governance"


class ActiveException(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    principles: list[str]
    expires_at: datetime
    approvers: list[str]
    mitigation: str


class AgedDebt(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    principle: str
    severity: str
    description: str
    age_days: float
    level: str  # ok | warn | escalate | block
    next_days: int | None  # age at which it reaches the next level, if any


class PendingReview(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    rule: str
    tier: int
    principle: str | None
    subject: str
    due_at: datetime
    overdue: bool
    escalated_to: str | None
    holds: bool = False
    """The policy holds this release until the item is decided (`awaiting-review`)."""


class ConfirmedReview(BaseModel):
    """An approved review item of a `CONFIRMABLE` rule about this run."""

    model_config = ConfigDict(frozen=True)

    id: str
    rule: str
    principle: str | None
    approvers: list[str]


class GovernanceState(BaseModel):
    """What governance holds for one gate decision, read from the store at `now`."""

    model_config = ConfigDict(frozen=True)

    now: datetime
    exceptions: list[ActiveException] = []
    debts: list[AgedDebt] = []
    pending: list[PendingReview] = []
    rejected: list[PendingReview] = []
    """Items about this run that hold releases and that people rejected."""
    confirmed: list[ConfirmedReview] = []
    """Approved items about this run whose rule's findings people settle (`CONFIRMABLE`)."""


def _confirm(p: PrincipleResult, review: ConfirmedReview) -> PrincipleResult:
    """`review`'s rule's WARN findings on `p` as PASS: people looked and confirmed."""
    note = f"(confirmed by review {review.id}, approved by {', '.join(review.approvers)}) "
    findings = [
        f.model_copy(update={"status": Status.PASS, "message": note + f.message})
        if f.rule == review.rule and f.status == Status.WARN
        else f
        for f in p.findings
    ]
    return p.model_copy(update={"findings": findings, "status": principle_status(findings)})


def _waive(p: PrincipleResult, exc: ActiveException) -> PrincipleResult:
    note = f"(BLOCK waived to WARN by exception {exc.id}) "
    findings = [
        f.model_copy(update={"status": Status.WARN, "message": note + f.message})
        if f.status == Status.BLOCK
        else f
        for f in p.findings
    ]
    findings.append(
        Finding(
            rule=EXCEPTION,
            principle=p.id,
            status=Status.WARN,
            message=f"exception {exc.id} (approved by {', '.join(exc.approvers)}; expires "
            f"{exc.expires_at:%Y-%m-%d %H:%M} UTC) turns this BLOCK into WARN; "
            f"mitigation: {exc.mitigation}",
        )
    )
    criteria = [
        c.model_copy(update={"status": Status.WARN}) if c.status == Status.BLOCK else c
        for c in p.criteria
    ]
    return p.model_copy(
        update={
            "findings": findings,
            "criteria": criteria,
            "status": principle_status(findings),
        }
    )


def _debt_finding(d: AgedDebt, principle: str) -> Finding:
    status = {"block": Status.BLOCK, "escalate": Status.WARN, "warn": Status.WARN}.get(
        d.level, Status.PASS
    )
    nxt = f"; next level at {d.next_days} d" if d.next_days is not None else ""
    what = {
        "block": "past its block age: every release BLOCKs until it clears",
        "escalate": "past its escalation age",
        "warn": "past its warning age",
        "ok": "within its SLO",
    }[d.level]
    return Finding(
        rule=DEBT_AGING,
        principle=principle,
        status=status,
        message=f"debt {d.id} ({d.severity}, {d.age_days:.1f} days open) {what}{nxt}: "
        f"{d.description}",
    )


def _review_findings(items: list[PendingReview], principle: str) -> list[Finding]:
    by_rule: dict[str, list[PendingReview]] = defaultdict(list)
    for item in items:
        by_rule[item.rule].append(item)
    out = []
    for rule, group in sorted(by_rule.items()):
        late = [i for i in group if i.overdue or i.escalated_to]
        ids = ", ".join(i.id for i in group[:5]) + (" …" if len(group) > 5 else "")
        escalated = (
            f"; {len(late)} past SLA, escalated to "
            f"{', '.join(sorted({i.escalated_to or 'nobody yet' for i in late}))}"
            if late
            else ""
        )
        due = min(i.due_at for i in group)
        holds = any(i.tier >= 2 or i.overdue or i.escalated_to for i in group)
        out.append(
            Finding(
                rule=PENDING_REVIEW,
                principle=principle,
                status=Status.WARN if holds else Status.PASS,
                message=f"{len(group)} {rule} review item{'s' if len(group) > 1 else ''} "
                f"pending (tier {group[0].tier}: {ids}), first due {due:%Y-%m-%d %H:%M} UTC"
                f"{escalated}",
            )
        )
    return out


def _held_finding(items: list[PendingReview], principle: str, rule: str) -> Finding:
    """One BLOCK for the items that hold the release: awaiting a decision, or rejected."""
    listed = "; ".join(
        f"{i.id} (tier {i.tier} {i.rule}"
        + (
            f", due {i.due_at:%Y-%m-%d %H:%M} UTC"
            + (" OVERDUE" if i.overdue else "")
            + (f", escalated to {i.escalated_to}" if i.escalated_to else "")
            if rule == AWAITING_REVIEW
            else ""
        )
        + ")"
        for i in items
    )
    what = (
        "awaiting a decision: the release is held until people approve or reject "
        "(`safetyloop review approve|reject`)"
        if rule == AWAITING_REVIEW
        else "rejected by reviewers: the release may not ship on this run"
    )
    n = len(items)
    return Finding(
        rule=rule,
        principle=principle,
        status=Status.BLOCK,
        message=f"{n} required review item{'s' if n > 1 else ''} {what}: {listed}",
    )


def apply_governance(decision: Decision, state: GovernanceState) -> Decision:
    """The decision with exceptions applied and debt and pending reviews reported."""
    principles = list(decision.principles)
    index = {p.id: i for i, p in enumerate(principles)}
    for review in state.confirmed:
        i = index.get(review.principle or "")
        if i is not None and review.rule in CONFIRMABLE:
            principles[i] = _confirm(principles[i], review)
    for exc in state.exceptions:
        for pid in exc.principles:
            i = index.get(pid)
            if i is not None and principles[i].status == Status.BLOCK:
                principles[i] = _waive(principles[i], exc)
    extra: dict[str, list[Finding]] = defaultdict(list)
    for d in state.debts:
        where = d.principle if d.principle in index else GOVERNANCE_PRINCIPLE
        extra[where].append(_debt_finding(d, where))
    pending: dict[str, list[PendingReview]] = defaultdict(list)
    for item in state.pending:
        where = item.principle if item.principle in index else GOVERNANCE_PRINCIPLE
        pending[where].append(item)
    for where, items in pending.items():
        held = [i for i in items if i.holds]
        if held:
            extra[where].append(_held_finding(held, where, AWAITING_REVIEW))
        extra[where].extend(_review_findings([i for i in items if not i.holds], where))
    rejected: dict[str, list[PendingReview]] = defaultdict(list)
    for item in state.rejected:
        rejected[item.principle if item.principle in index else GOVERNANCE_PRINCIPLE].append(item)
    for where, items in rejected.items():
        extra[where].append(_held_finding(items, where, REVIEW_REJECTED))
    for pid, findings in extra.items():
        if pid in index:
            p = principles[index[pid]]
            merged = [*p.findings, *findings]
            principles[index[pid]] = p.model_copy(
                update={"findings": merged, "status": principle_status(merged)}
            )
        elif any(f.status != Status.PASS for f in findings):
            principles.append(
                PrincipleResult(
                    id=GOVERNANCE_PRINCIPLE,
                    name="Governance (items outside the constitution)",
                    severity="high",
                    enforcement="hard",
                    status=worst([f.status for f in findings]),
                    criteria=[],
                    findings=findings,
                )
            )
    return decision.model_copy(
        update={
            "principles": principles,
            "decision": decision_status(principles),
            "decided_at": state.now,
        }
    )
