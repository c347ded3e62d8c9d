"""The gate's governance step: route review items, escalate, read state, apply it.

Called by `safetyloop.api.gate` after `evaluate`. When the decision is recorded, routing queues
review items and overdue ones escalate (both audited); reading and applying the state
(`gate._governance.apply_governance`) happens on every gate, so `--no-record` shows the same.
A gate that records nothing queues nothing either, so the items routing would queue that would
hold the release are held as if queued: not recording is no way around the people.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from safetyloop.clock import Clock, SystemClock
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
from safetyloop.governance._actor import current_actor
from safetyloop.governance._policy import Policy, load_policy
from safetyloop.governance._routing import borderline_proposals, gate_proposals
from safetyloop.governance.debt import age_debt, aging_level, list_debt
from safetyloop.governance.exceptions import active_exceptions, release_author
from safetyloop.governance.reviews import (
    Proposal,
    escalate_overdue,
    get_review,
    list_reviews,
    queue,
    queued_keys,
)
from safetyloop.store import Store
from safetyloop.store.governance import governed

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
    queued = 0
    with governed(store) as tx:
        for proposal in _proposals(store, decision, baseline):
            queued += queue(tx, proposal, actor=actor, policy=policy, clock=clock) is not None
    return queued


def _proposals(store: Store, decision: Decision, baseline: Decision | None) -> list[Proposal]:
    """The review items the decision and the run's borderline verdicts ask for."""
    author = release_author(store, decision.run_id)
    borderline = store.borderline(decision.run_id)
    # only the cases of borderline verdicts: a large run's others are never read back
    keys = {v.case_key for v in borderline}
    cases = {c.key: c for c in store.run_cases(decision.run_id, keys=keys)}
    return [
        *gate_proposals(decision, baseline, author),
        *borderline_proposals(decision, borderline, cases, author),
    ]


def _unqueued_holds(
    store: Store, decision: Decision, baseline: Decision | None, *, policy: Policy, now: datetime
) -> list[PendingReview]:
    """Items routing would queue, not queued yet, at a tier that holds the release."""
    wanted = {
        p.dedupe_key: p
        for p in _proposals(store, decision, baseline)
        if policy.holds_release(policy.routing[p.rule].tier)
    }
    have = queued_keys(store, list(wanted))
    return [
        PendingReview(
            id=f"(to be queued: {p.subject})",
            rule=p.rule,
            tier=policy.routing[p.rule].tier,
            principle=p.principle,
            subject=p.subject,
            due_at=now + timedelta(hours=policy.routing[p.rule].sla_hours),
            overdue=False,
            escalated_to=None,
            holds=True,
        )
        for key, p in wanted.items()
        if key not in have
    ]


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
    if not record:
        held = _unqueued_holds(store, decision, baseline, policy=the_policy, now=state.now)
        state = state.model_copy(update={"pending": [*state.pending, *held]})
    return apply_governance(decision, state)
