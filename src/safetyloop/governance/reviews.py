"""The review queue: items people decide, at a tier, within an SLA, escalating when late.

Tier N needs `policy.tiers[N].approvers` distinct approvers holding an approver role, or one
distinct signer per committee role. The release's author (who started the run), the requester of
an exception and holders of a forbidden role can never sign. One rejection rejects the item.
Every change commits together with its audit entry, under the audit lock, with the item row
locked (`SELECT ... FOR UPDATE`) and (item, approver) unique: concurrent approvals neither lose
an update nor count twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.orm import Session

from safetyloop._hashing import content_hash
from safetyloop.errors import InputError
from safetyloop.governance._authority import approver_role, refuse_forbidden_roles
from safetyloop.governance._clock import Clock, SystemClock
from safetyloop.governance._policy import Policy, load_policy
from safetyloop.governance._session import Refused, append, governed, new_id, utc
from safetyloop.governance._tables import ExceptionRow, ReviewItemRow, ReviewSignatureRow
from safetyloop.store import Store

__all__ = [
    "Proposal",
    "ReviewItem",
    "Signature",
    "decide",
    "escalate_overdue",
    "get_review",
    "list_reviews",
    "queue",
    "queued_keys",
]


class Signature(BaseModel):
    model_config = ConfigDict(frozen=True)

    approver: str
    role: str | None
    verdict: str
    reason: str
    at: datetime


class ReviewItem(BaseModel):
    """A review item with its signatures and escalations so far."""

    model_config = ConfigDict(frozen=True)

    id: str
    rule: str
    tier: int
    status: str
    run_id: str | None
    target: str | None
    principle: str | None
    subject: str
    summary: str
    author: str | None
    exception_id: str | None
    created_at: datetime
    due_at: datetime
    escalation_level: int
    escalations: list[dict[str, Any]]
    decided_at: datetime | None
    version: int
    signatures: list[Signature] = []

    def overdue(self, now: datetime) -> bool:
        return self.status == "pending" and now > self.due_at

    @property
    def escalated_to(self) -> str | None:
        return str(self.escalations[-1]["to"]) if self.escalations else None


@dataclass(frozen=True)
class Proposal:
    """An item a routing rule asks for; queued once per (rule, run, principle, subject)."""

    rule: str
    subject: str
    summary: str
    run_id: str | None = None
    target: str | None = None
    principle: str | None = None
    author: str | None = None
    exception_id: str | None = None

    @property
    def dedupe_key(self) -> str:
        return content_hash(
            [self.rule, self.run_id, self.principle, self.subject, self.exception_id]
        )


def _item(row: ReviewItemRow, signatures: list[ReviewSignatureRow] | None = None) -> ReviewItem:
    return ReviewItem(
        id=row.id,
        rule=row.rule,
        tier=row.tier,
        status=row.status,
        run_id=row.run_id,
        target=row.target,
        principle=row.principle,
        subject=row.subject,
        summary=row.summary,
        author=row.author,
        exception_id=row.exception_id,
        created_at=utc(row.created_at),
        due_at=utc(row.due_at),
        escalation_level=row.escalation_level,
        escalations=list(row.escalations),
        decided_at=utc(row.decided_at) if row.decided_at else None,
        version=row.version,
        signatures=[
            Signature(
                approver=g.approver, role=g.role, verdict=g.verdict, reason=g.reason, at=utc(g.at)
            )
            for g in signatures or []
        ],
    )


def queue(
    s: Session, proposal: Proposal, *, actor: str, policy: Policy, clock: Clock
) -> ReviewItem | None:
    """Queue `proposal` inside a governed session; None when the same item is already queued."""
    key = proposal.dedupe_key
    if s.scalars(select(ReviewItemRow.id).where(ReviewItemRow.dedupe_key == key)).first():
        return None
    route = policy.routing[proposal.rule]
    now = clock.now()
    row = ReviewItemRow(
        id=new_id("rv"),
        rule=proposal.rule,
        tier=route.tier,
        status="pending",
        run_id=proposal.run_id,
        target=proposal.target,
        principle=proposal.principle,
        subject=proposal.subject,
        summary=proposal.summary,
        dedupe_key=key,
        author=proposal.author,
        exception_id=proposal.exception_id,
        created_at=now,
        due_at=now + timedelta(hours=route.sla_hours),
        escalation_level=0,
        escalations=[],
        version=0,
    )
    s.add(row)
    append(
        s,
        actor,
        "review.created",
        {
            "item_id": row.id,
            "rule": row.rule,
            "tier": row.tier,
            "run_id": row.run_id,
            "principle": row.principle,
            "subject": row.subject,
            "due_at": utc(row.due_at).isoformat(),
        },
        clock,
    )
    return _item(row)


def queued_keys(store: Store, keys: list[str]) -> set[str]:
    """Which of these `Proposal.dedupe_key`s are queued already (in any status)."""
    if not keys:
        return set()
    with store.session() as s:
        found = s.scalars(
            select(ReviewItemRow.dedupe_key).where(ReviewItemRow.dedupe_key.in_(keys))
        )
        return set(found)


def _signatures(s: Session, item_id: str) -> list[ReviewSignatureRow]:
    return list(
        s.scalars(
            select(ReviewSignatureRow)
            .where(ReviewSignatureRow.item_id == item_id)
            .order_by(ReviewSignatureRow.id)
        )
    )


def _refuse_forbidden(
    s: Session, row: ReviewItemRow, actor: str, roles: list[str], policy: Policy
) -> None:
    """Raise `Refused` when the author, the exception's requester or a barred role signs."""
    if row.author is not None and actor == row.author:
        raise Refused(
            f"{actor} authored the release (started run {row.run_id}) and cannot review it"
        )
    if row.exception_id is not None:
        exc = s.get(ExceptionRow, row.exception_id)
        if exc is not None and exc.requested_by == actor:
            raise Refused(f"{actor} requested exception {exc.id} and cannot approve it")
    refuse_forbidden_roles(actor, roles, policy, "approve reviews")


def decide(
    store: Store,
    item_id: str,
    *,
    actor: str,
    roles: list[str],
    verdict: str,
    reason: str,
    policy: Policy | None = None,
    clock: Clock | None = None,
) -> ReviewItem:
    """Sign item `item_id` with `verdict` (`approve` or `reject`) and a reason.

    Raises `Refused` (exit 1) when the rules forbid it, naming which rule.
    """
    if verdict not in ("approve", "reject"):
        raise InputError(f"verdict must be 'approve' or 'reject', not {verdict!r}")
    if not reason.strip():
        raise InputError("a decision needs a reason (--reason)")
    the_policy = policy or load_policy()
    the_clock = clock or SystemClock()
    now = the_clock.now()
    with governed(store) as s:
        row = s.scalars(
            select(ReviewItemRow).where(ReviewItemRow.id == item_id).with_for_update()
        ).first()
        if row is None:
            raise InputError(f"no review item {item_id!r}", hint="see `safetyloop review list`")
        if row.status != "pending":
            raise Refused(f"review {item_id} is already {row.status}")
        _refuse_forbidden(s, row, actor, roles, the_policy)
        signed = _signatures(s, item_id)
        if any(g.approver == actor for g in signed):
            raise Refused(f"{actor} has already signed review {item_id}: one signature per person")
        tier = the_policy.tier(row.tier)
        role = _signing_role(tier.committee, the_policy, roles, signed, actor, row)
        s.add(
            ReviewSignatureRow(
                item_id=item_id, approver=actor, role=role, verdict=verdict, reason=reason, at=now
            )
        )
        row.version += 1
        approvals = [g for g in signed if g.verdict == "approve"] + (
            [ReviewSignatureRow(approver=actor, role=role)] if verdict == "approve" else []
        )
        if verdict == "reject":
            done: str | None = "rejected"
        elif tier.committee is not None:
            done = "approved" if {g.role for g in approvals} >= set(tier.committee) else None
        else:
            assert tier.approvers is not None
            done = "approved" if len({g.approver for g in approvals}) >= tier.approvers else None
        payload = {
            "item_id": item_id,
            "verdict": verdict,
            "role": role,
            "reason": reason,
            "version": row.version,
        }
        append(s, actor, "review.signed", payload, the_clock)
        if done is not None:
            row.status, row.decided_at = done, now
            append(s, actor, f"review.{done}", {"item_id": item_id, "tier": row.tier}, the_clock)
            if row.exception_id is not None:
                exc = s.get(ExceptionRow, row.exception_id)
                if exc is not None:
                    exc.status, exc.decided_at = done, now
                    append(
                        s,
                        actor,
                        f"exception.{done}",
                        {"exception_id": exc.id, "item_id": item_id},
                        the_clock,
                    )
        return _item(row, _signatures(s, item_id))


def _signing_role(
    committee: list[str] | None,
    policy: Policy,
    roles: list[str],
    signed: list[ReviewSignatureRow],
    actor: str,
    row: ReviewItemRow,
) -> str:
    """The role the actor signs in: an unsigned committee role (tier 3) or an approver role."""
    if committee is not None:
        taken = {g.role for g in signed}
        open_roles = [r for r in committee if r in roles and r not in taken]
        if not open_roles:
            mine = [r for r in committee if r in roles]
            raise Refused(
                f"{actor} cannot sign tier-{row.tier} review {row.id}: "
                + (
                    f"the committee role {', '.join(mine)} has already signed"
                    if mine
                    else f"it needs the committee roles {', '.join(committee)}"
                )
            )
        return open_roles[0]
    return approver_role(actor, roles, policy, f"approve review {row.id}")


def escalate_overdue(
    store: Store, *, actor: str, policy: Policy | None = None, clock: Clock | None = None
) -> list[ReviewItem]:
    """Escalate every pending item past its SLA along the chain, once per SLA period missed.

    Each step is recorded on the item and audited as `review.escalated`; returns those escalated.
    """
    the_policy = policy or load_policy()
    the_clock = clock or SystemClock()
    now = the_clock.now()
    chain = the_policy.escalation_chain
    out: list[ReviewItem] = []
    with governed(store) as s:
        rows = s.scalars(
            select(ReviewItemRow)
            .where(ReviewItemRow.status == "pending")
            .order_by(ReviewItemRow.created_at)
            .with_for_update()
        ).all()
        for row in rows:
            sla = timedelta(hours=the_policy.routing[row.rule].sla_hours)
            due, level, steps = utc(row.due_at), row.escalation_level, list(row.escalations)
            while now > due and level < len(chain):
                level += 1
                steps.append(
                    {"level": level, "to": chain[level - 1], "breached_at": due.isoformat()}
                )
                append(
                    s,
                    actor,
                    "review.escalated",
                    {
                        "item_id": row.id,
                        "level": level,
                        "to": chain[level - 1],
                        "breached_at": due.isoformat(),
                    },
                    the_clock,
                )
                due += sla
            if level != row.escalation_level:
                row.escalation_level, row.escalations, row.due_at = level, steps, due
                out.append(_item(row))
    return out


def get_review(store: Store, item_id: str) -> ReviewItem:
    with store.session() as s:
        row = s.get(ReviewItemRow, item_id)
        if row is None:
            raise InputError(f"no review item {item_id!r}", hint="see `safetyloop review list`")
        return _item(row, _signatures(s, item_id))


def list_reviews(
    store: Store, *, status: str | None = None, run_id: str | None = None
) -> list[ReviewItem]:
    """Review items (all, or with `status` / of `run_id`), oldest first, with signatures.

    Two queries, whatever the number of items: the items, then all their signatures.
    """
    where = []
    if status is not None:
        where.append(ReviewItemRow.status == status)
    if run_id is not None:
        where.append(ReviewItemRow.run_id == run_id)
    with store.session() as s:
        rows = s.scalars(
            select(ReviewItemRow).where(*where).order_by(ReviewItemRow.created_at, ReviewItemRow.id)
        ).all()
        signed: dict[str, list[ReviewSignatureRow]] = {r.id: [] for r in rows}
        for g in s.scalars(
            select(ReviewSignatureRow)
            .join(ReviewItemRow, ReviewItemRow.id == ReviewSignatureRow.item_id)
            .where(*where)
            .order_by(ReviewSignatureRow.id)
        ):
            if g.item_id in signed:  # not an item created since the first query
                signed[g.item_id].append(g)
        return [_item(r, signed[r.id]) for r in rows]
