"""People's side: the review queue and its decisions, debt, exceptions, incidents, the audit log.

Every mutation here calls the governance function the CLI calls (`reviews.decide`,
`reviews.escalate_overdue`, `debt.clear_debt`, `exceptions.request_exception`) as the signed-in
user with the roles the governance roles file gives them, so the same rules refuse the same
people, and the audit log names the user.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form, Query
from fastapi.responses import Response
from pydantic import BaseModel

from safetyloop.audit_chain import AuditEntry
from safetyloop.governance import env_clock, load_policy
from safetyloop.governance.audit import AuditReport, verify_audit
from safetyloop.governance.debt import DebtItem, aging_level, clear_debt, list_debt
from safetyloop.governance.exceptions import (
    GateException,
    list_exceptions,
    request_exception,
)
from safetyloop.governance.overrides import (
    VerdictOverride,
    borderline_verdict,
    override_labels,
    override_verdict,
    verdict_overrides,
)
from safetyloop.governance.reviews import ReviewItem, decide, escalate_overdue, get_review
from safetyloop.governance.reviews import list_reviews as queue_items
from safetyloop.incidents import StoredIncident, StoredMeasurement, get_incident, measurements
from safetyloop.incidents import list_incidents as all_incidents
from safetyloop.web._auth import acting_roles, check_csrf
from safetyloop.web._params import moment
from safetyloop.web._render import Ctx, CtxDep, done, page, render

router = APIRouter()
Text = Annotated[str, Form()]
Csrf = Annotated[str, Form()]
Back = Annotated[str, Form()]


# reviews ----------------------------------------------------------------------------------
class QueueLine(BaseModel):
    item: ReviewItem
    overdue: bool


class ReviewsPage(BaseModel):
    """Review items by tier (highest first), each with its SLA state."""

    status: str
    now: datetime
    tiers: dict[int, list[QueueLine]]


@page(router, "/reviews", "reviews.html")
def reviews(ctx: CtxDep, status: str = "pending", run: str | None = None) -> ReviewsPage:
    now = env_clock().now()
    items = queue_items(ctx.store, status=None if status == "all" else status, run_id=run)
    tiers: dict[int, list[QueueLine]] = {}
    for item in sorted(items, key=lambda i: (-i.tier, i.due_at)):
        tiers.setdefault(item.tier, []).append(QueueLine(item=item, overdue=item.overdue(now)))
    return ReviewsPage(status=status, now=now, tiers=tiers)


class ReviewPage(BaseModel):
    """An item; a borderline one also with its verdict's override, or the labels to give."""

    item: ReviewItem
    overdue: bool
    override: VerdictOverride | None = None
    labels: list[str] | None = None


@page(router, "/reviews/{item_id}", "review.html")
def review(ctx: CtxDep, item_id: str) -> ReviewPage:
    item = get_review(ctx.store, item_id)
    out = ReviewPage(item=item, overdue=item.overdue(env_clock().now()))
    if item.rule != "borderline" or item.run_id is None:
        return out
    done = [o for o in verdict_overrides(ctx.store, item.run_id) if o.review_id == item.id]
    _, scorer = borderline_verdict(item.subject)
    return out.model_copy(
        update={"override": done[0] if done else None, "labels": override_labels(scorer)}
    )


def _decide(ctx: Ctx, item_id: str, verdict: str, reason: str, csrf: str) -> Response:
    check_csrf(ctx.request, csrf)
    item = decide(
        ctx.store,
        item_id,
        actor=ctx.user,
        roles=acting_roles(ctx.config, ctx.user),
        verdict=verdict,
        reason=reason,
        policy=load_policy(ctx.config.policy),
        clock=env_clock(),
    )
    return done(ctx, item, f"/reviews/{item.id}")


@router.post("/reviews/{item_id}/approve", response_model=None)
def approve(ctx: CtxDep, item_id: str, reason: Text, csrf: Csrf = "") -> Response:
    """Approve as the signed-in user (distinct reviewers, forbidden approvers, committees)."""
    return _decide(ctx, item_id, "approve", reason, csrf)


@router.post("/reviews/{item_id}/reject", response_model=None)
def reject(ctx: CtxDep, item_id: str, reason: Text, csrf: Csrf = "") -> Response:
    """Reject as the signed-in user: one rejection decides the item."""
    return _decide(ctx, item_id, "reject", reason, csrf)


class Overridden(BaseModel):
    override: VerdictOverride


@router.post("/reviews/{item_id}/override", response_model=None)
def override(
    ctx: CtxDep, item_id: str, label: Text, reason: Text, csrf: Csrf = "", back: Back = ""
) -> Response:
    """Relabel a borderline item's verdict as the signed-in user (who may decide the item);
    the gate counts the new label. `back`: the page to return to (a path of this console)."""
    check_csrf(ctx.request, csrf)
    done_ = override_verdict(
        ctx.store,
        item_id,
        label=label,
        reason=reason,
        actor=ctx.user,
        roles=acting_roles(ctx.config, ctx.user),
        policy=load_policy(ctx.config.policy),
        clock=env_clock(),
    )
    then = back if back.startswith("/") and not back.startswith("//") else f"/reviews/{item_id}"
    return done(ctx, Overridden(override=done_), then)


class Escalated(BaseModel):
    escalated: list[ReviewItem]


@router.post("/reviews/escalate", response_model=None)
def escalate(ctx: CtxDep, csrf: Csrf = "") -> Response:
    """Escalate every overdue item along the policy's chain, audited as the user."""
    check_csrf(ctx.request, csrf)
    acting_roles(ctx.config, ctx.user)
    items = escalate_overdue(
        ctx.store, actor=ctx.user, policy=load_policy(ctx.config.policy), clock=env_clock()
    )
    return done(ctx, Escalated(escalated=items), "/reviews")


# debt -------------------------------------------------------------------------------------
class DebtLine(BaseModel):
    item: DebtItem
    age_days: float
    level: str
    next_level_in_days: float | None


class DebtPage(BaseModel):
    """The ledger with each item's age, aging level and days until the next level."""

    status: str
    items: list[DebtLine]


@page(router, "/debt", "debt.html")
def debt(ctx: CtxDep, status: str = "open") -> DebtPage:
    now = env_clock().now()
    policy = load_policy(ctx.config.policy)
    lines = []
    for item in list_debt(ctx.store, status=None if status == "all" else status, at=now):
        age = item.age_days(now)
        later = [d for _, d in policy.debt_aging[item.severity].steps() if age < d]
        lines.append(
            DebtLine(
                item=item,
                age_days=age,
                level=aging_level(item, policy, now),
                next_level_in_days=min(later) - age if later else None,
            )
        )
    return DebtPage(status=status, items=lines)


@router.post("/debt/{debt_id}/clear", response_model=None)
def clear(
    ctx: CtxDep,
    debt_id: str,
    run: Annotated[str, Form()] = "",
    acceptance: Annotated[str, Form()] = "",
    csrf: Csrf = "",
) -> Response:
    """Clear on a run's regression evidence or an approved acceptance (an approver role)."""
    check_csrf(ctx.request, csrf)
    item = clear_debt(
        ctx.store,
        debt_id,
        run_id=ctx.store.get_run(run).id if run else None,
        acceptance_id=acceptance or None,
        actor=ctx.user,
        roles=acting_roles(ctx.config, ctx.user),
        policy=load_policy(ctx.config.policy),
        clock=env_clock(),
    )
    return done(ctx, item, "/debt?status=all")


# exceptions -------------------------------------------------------------------------------
class ExceptionsPage(BaseModel):
    exceptions: list[GateException]


@page(router, "/exceptions", "exceptions.html")
def exceptions(ctx: CtxDep, target: str | None = None) -> ExceptionsPage:
    return ExceptionsPage(exceptions=list_exceptions(ctx.store, target=target))


class Requested(BaseModel):
    exception: GateException
    review: ReviewItem


@router.post("/exceptions", response_model=None)
def request(
    ctx: CtxDep,
    run: Text,
    principles: Text,
    expires: Annotated[datetime, Form()],
    mitigation: Text,
    reason: Text,
    csrf: Csrf = "",
) -> Response:
    """Request an exception for a blocked run: queues its tier-3 review (as the CLI does)."""
    check_csrf(ctx.request, csrf)
    acting_roles(ctx.config, ctx.user)
    exc, item = request_exception(
        ctx.store,
        run_id=ctx.store.get_run(run).id,
        principles=[p.strip() for p in principles.split(",") if p.strip()],
        expires_at=moment(expires, "expires") or expires,
        mitigation=mitigation,
        reason=reason,
        actor=ctx.user,
        policy=load_policy(ctx.config.policy),
        clock=env_clock(),
    )
    return done(ctx, Requested(exception=exc, review=item), f"/reviews/{item.id}")


# incidents --------------------------------------------------------------------------------
class IncidentsPage(BaseModel):
    incidents: list[StoredIncident]


@page(router, "/incidents", "incidents.html")
def incidents(ctx: CtxDep) -> IncidentsPage:
    return IncidentsPage(incidents=all_incidents(ctx.store))


class IncidentPage(BaseModel):
    """An incident whole (its transcript), triage, and its replay and blast-radius results."""

    incident: StoredIncident
    measurements: list[StoredMeasurement]


@page(router, "/incidents/{incident_id}", "incident.html")
def incident(ctx: CtxDep, incident_id: str) -> IncidentPage:
    return IncidentPage(
        incident=get_incident(ctx.store, incident_id),
        measurements=measurements(ctx.store, incident_id),
    )


# audit ------------------------------------------------------------------------------------
class AuditPage(BaseModel):
    """The newest entries of the chain (newest first)."""

    total: int
    entries: list[AuditEntry]


@page(router, "/audit", "audit.html")
def audit(ctx: CtxDep, limit: Annotated[int, Query(ge=1, le=10_000)] = 200) -> AuditPage:
    entries = ctx.store.audit_entries()
    return AuditPage(total=len(entries), entries=list(reversed(entries))[:limit])


@router.post("/audit/verify", response_model=None)
def verify(ctx: CtxDep, csrf: Csrf = "") -> Response:
    """Verify the chain as `safetyloop audit verify` does; shows where it breaks, if it does."""
    check_csrf(ctx.request, csrf)
    report: AuditReport = verify_audit(ctx.store.url)
    if getattr(ctx.request.state, "bearer", False) or ctx.request.url.path.endswith(".json"):
        return done(ctx, report, "/audit")
    return render(ctx.request, "verified.html", report)
