"""The review queue: items people decide, at a tier, within an SLA, escalating when late.

Tier N needs `policy.tiers[N].approvers` distinct approvers holding an approver role, or one
distinct signer per committee role. The release's author (who started the run), the requester of
an exception and holders of a forbidden role can never sign. One rejection rejects the item.
Every change commits together with its audit entry, under the audit lock, with the item row
locked (`SELECT ... FOR UPDATE`) and (item, approver) unique: concurrent approvals neither lose
an update nor count twice.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict

from safetyloop._hashing import content_hash
from safetyloop.clock import Clock, SystemClock
from safetyloop.errors import InputError
from safetyloop.governance._authority import approver_role, refuse_forbidden_roles
from safetyloop.governance._policy import Policy, load_policy
from safetyloop.governance._session import Refused, new_id
from safetyloop.store import Store
from safetyloop.store.governance import (
    Governed,
    ReviewRecord,
    SignatureRecord,
    get_review_record,
    governed,
    queued_keys,
    review_records,
)

__all__ = [
    "Proposal",
    "ReviewItem",
    "Signature",
    "decide",
    "escalate_overdue",
    "get_review",
    "list_reviews",
    "may_decide",
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


def _item(row: ReviewRecord, signatures: list[SignatureRecord] | None = None) -> ReviewItem:
    """The stored item as the queue shows it (its dedupe key stays in the store)."""
    fields = asdict(row)
    del fields["dedupe_key"]
    return ReviewItem(**fields, signatures=[Signature(**asdict(g)) for g in signatures or []])


def queue(
    tx: Governed, proposal: Proposal, *, actor: str, policy: Policy, clock: Clock
) -> ReviewItem | None:
    """Queue `proposal` inside a governed transaction; None when it is already queued."""
    key = proposal.dedupe_key
    if tx.review_queued(key):
        return None
    route = policy.routing[proposal.rule]
    now = clock.now()
    row = ReviewRecord(
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
        decided_at=None,
        version=0,
    )
    tx.add_review(row)
    tx.audit(
        actor,
        "review.created",
        {
            "item_id": row.id,
            "rule": row.rule,
            "tier": row.tier,
            "run_id": row.run_id,
            "principle": row.principle,
            "subject": row.subject,
            "due_at": row.due_at.isoformat(),
        },
        clock,
    )
    return _item(row)


def _refuse_forbidden(
    tx: Governed, row: ReviewRecord, actor: str, roles: list[str], policy: Policy
) -> None:
    """Raise `Refused` when the author, the exception's requester or a barred role signs."""
    if row.author is not None and actor == row.author:
        if row.run_id is None:  # not about a release: the author submitted the item itself
            raise Refused(f"{actor} submitted {row.subject} and cannot review it")
        raise Refused(
            f"{actor} authored the release (started run {row.run_id}) and cannot review it"
        )
    if row.exception_id is not None:
        exc = tx.exception(row.exception_id)
        if exc is not None and exc.requested_by == actor:
            raise Refused(f"{actor} requested exception {exc.id} and cannot approve it")
    refuse_forbidden_roles(actor, roles, policy, "approve reviews")


def may_decide(
    tx: Governed, row: ReviewRecord, actor: str, roles: list[str], policy: Policy
) -> str:
    """The role `actor` may decide item `row` in, by the rules `decide` applies (the author, the
    requester and barred roles never; an approver or committee role of the item's tier);
    `Refused` (exit 1) otherwise. For acts on an item other than signing it."""
    _refuse_forbidden(tx, row, actor, roles, policy)
    return _signing_role(policy.tier(row.tier).committee, policy, roles, [], actor, row)


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
    with governed(store) as tx:
        row = tx.review_for_update(item_id)
        if row is None:
            raise InputError(f"no review item {item_id!r}", hint="see `safetyloop review list`")
        if row.status != "pending":
            raise Refused(f"review {item_id} is already {row.status}")
        _refuse_forbidden(tx, row, actor, roles, the_policy)
        signed = tx.signatures(item_id)
        if any(g.approver == actor for g in signed):
            raise Refused(f"{actor} has already signed review {item_id}: one signature per person")
        tier = the_policy.tier(row.tier)
        role = _signing_role(tier.committee, the_policy, roles, signed, actor, row)
        mine = SignatureRecord(approver=actor, role=role, verdict=verdict, reason=reason, at=now)
        tx.add_signature(item_id, mine)
        row.version += 1
        approvals = [g for g in [*signed, mine] if g.verdict == "approve"]
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
        tx.audit(actor, "review.signed", payload, the_clock)
        if done is not None:
            row.status, row.decided_at = done, now
            tx.audit(actor, f"review.{done}", {"item_id": item_id, "tier": row.tier}, the_clock)
            if row.exception_id is not None:
                exc = tx.exception(row.exception_id)
                if exc is not None:
                    exc.status, exc.decided_at = done, now
                    tx.save_exception(exc)
                    tx.audit(
                        actor,
                        f"exception.{done}",
                        {"exception_id": exc.id, "item_id": item_id},
                        the_clock,
                    )
        tx.save_review(row)
        return _item(row, tx.signatures(item_id))


def _signing_role(
    committee: list[str] | None,
    policy: Policy,
    roles: list[str],
    signed: list[SignatureRecord],
    actor: str,
    row: ReviewRecord,
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
    with governed(store) as tx:
        for row in tx.pending_reviews_for_update():
            sla = timedelta(hours=the_policy.routing[row.rule].sla_hours)
            due, level, steps = row.due_at, row.escalation_level, list(row.escalations)
            while now > due and level < len(chain):
                level += 1
                steps.append(
                    {"level": level, "to": chain[level - 1], "breached_at": due.isoformat()}
                )
                tx.audit(
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
                tx.save_review(row)
                out.append(_item(row))
    return out


def get_review(store: Store, item_id: str) -> ReviewItem:
    found = get_review_record(store, item_id)
    if found is None:
        raise InputError(f"no review item {item_id!r}", hint="see `safetyloop review list`")
    return _item(*found)


def list_reviews(
    store: Store, *, status: str | None = None, run_id: str | None = None
) -> list[ReviewItem]:
    """Review items (all, or with `status` / of `run_id`), oldest first, with signatures."""
    return [_item(*found) for found in review_records(store, status=status, run_id=run_id)]
