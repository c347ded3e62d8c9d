"""The gate's governance step: route review items, escalate, read state, apply it.

Called by `safetyloop.api.gate` after `evaluate`. When the decision is recorded, routing queues
review items and overdue ones escalate (both audited); reading and applying the state
(`gate._governance.apply_governance`) happens on every gate, so `--no-record` shows the same.
"""

from __future__ import annotations

from safetyloop.gate import Decision
from safetyloop.gate._governance import (
    CONFIRMABLE,
    ActiveException,
    AgedDebt,
    ConfirmedReview,
    GovernanceState,
    PendingReview,
    apply_governance,
)
from safetyloop.governance._audit import current_actor
from safetyloop.governance._clock import Clock, SystemClock
from safetyloop.governance._policy import Policy, load_policy
from safetyloop.governance._routing import borderline_proposals, gate_proposals
from safetyloop.governance._session import governed
from safetyloop.governance.debt import age_debt, aging_level, list_debt
from safetyloop.governance.exceptions import active_exceptions, release_author
from safetyloop.governance.reviews import escalate_overdue, get_review, list_reviews, queue
from safetyloop.store import Store

__all__ = ["govern", "governance_state", "route_decision"]


def route_decision(
    store: Store,
    decision: Decision,
    baseline: Decision | None,
    *,
    actor: str,
    policy: Policy,
    clock: Clock,
) -> int:
    """Queue the review items the decision and the run's borderline verdicts ask for."""
    author = release_author(store, decision.run_id)
    cases = {c.key: c for c in store.run_cases(decision.run_id)}
    proposals = [
        *gate_proposals(decision, baseline, author),
        *borderline_proposals(decision, store.borderline(decision.run_id), cases, author),
    ]
    queued = 0
    with governed(store) as s:
        for proposal in proposals:
            queued += queue(s, proposal, actor=actor, policy=policy, clock=clock) is not None
    return queued


def governance_state(
    store: Store, decision: Decision, *, policy: Policy, clock: Clock
) -> GovernanceState:
    """Active exceptions for the target, open debt with its age, pending reviews of the run."""
    now = clock.now()
    exceptions = []
    for e in active_exceptions(store, decision.target, now):
        signers = get_review(store, e.review_id).signatures if e.review_id else []
        exceptions.append(
            ActiveException(
                id=e.id,
                principles=e.principles,
                expires_at=e.expires_at,
                approvers=[f"{g.approver} ({g.role})" for g in signers if g.verdict == "approve"],
                mitigation=e.mitigation,
            )
        )
    debts = []
    for d in list_debt(store, status="open", at=now):
        level = aging_level(d, policy, now)
        later = [
            days for _, days in policy.debt_aging[d.severity].steps() if d.age_days(now) < days
        ]
        debts.append(
            AgedDebt(
                id=d.id,
                principle=d.principle,
                severity=d.severity,
                description=f"{d.description} (reopened: {d.reopened})"
                if d.reopened
                else d.description,
                age_days=d.age_days(now),
                level=level,
                next_days=min(later) if later else None,
            )
        )
    # Items about this run hold it when their tier says so; a pending exception request for
    # another run of the target is only reported.
    reviews = [r for r in list_reviews(store, status="pending") if r.run_id != decision.run_id]
    pending, rejected = [], []
    for r in [*list_reviews(store, run_id=decision.run_id), *reviews]:
        this_run = r.run_id == decision.run_id
        item = PendingReview(
            id=r.id,
            rule=r.rule,
            tier=r.tier,
            principle=r.principle,
            subject=r.subject,
            due_at=r.due_at,
            overdue=r.overdue(now),
            escalated_to=r.escalated_to,
            holds=this_run and policy.holds_release(r.tier),
        )
        if r.status == "pending" and (
            this_run or (r.rule == "block-override" and r.target == decision.target)
        ):
            pending.append(item)
        elif r.status == "rejected" and item.holds:
            rejected.append(item)
    # Approved items whose rule's findings people settle (judge-is-guard) confirm them.
    confirmed = [
        ConfirmedReview(
            id=r.id,
            rule=r.rule,
            principle=r.principle,
            approvers=[g.approver for g in r.signatures if g.verdict == "approve"],
        )
        for r in list_reviews(store, status="approved", run_id=decision.run_id)
        if r.rule in CONFIRMABLE
    ]
    return GovernanceState(
        now=now,
        exceptions=exceptions,
        debts=debts,
        pending=pending,
        rejected=rejected,
        confirmed=confirmed,
    )


def govern(
    store: Store,
    decision: Decision,
    baseline: Decision | None,
    *,
    record: bool = True,
    clock: Clock | None = None,
    policy: Policy | None = None,
) -> Decision:
    """The decision after governance: see the module docstring."""
    the_clock = clock or SystemClock()
    the_policy = policy or load_policy()
    if record:
        actor = current_actor()
        route_decision(store, decision, baseline, actor=actor, policy=the_policy, clock=the_clock)
        escalate_overdue(store, actor=actor, policy=the_policy, clock=the_clock)
        age_debt(store, actor=actor, policy=the_policy, clock=the_clock)
    state = governance_state(store, decision, policy=the_policy, clock=the_clock)
    return apply_governance(decision, state)
