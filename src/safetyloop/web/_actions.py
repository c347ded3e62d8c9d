"""The governance actions the CLI has beyond reviews: open and link debt, confirm an incident's
triage, close an incident.

Each calls the function the CLI command calls (`debt add|link`, `incident triage --confirm`,
`incident close`) as the signed-in user; a user the roles file does not list is read-only (403),
and the audit log names the user. Scoring, replay and blast radius run models: CLI only.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import Response

from safetyloop.api import load_constitution_checked
from safetyloop.governance import env_clock, load_policy
from safetyloop.governance.debt import link_regression_cases, open_debt
from safetyloop.incidents import close_incident, confirm_triage, get_incident
from safetyloop.web._auth import acting_roles, check_csrf
from safetyloop.web._render import Ctx, CtxDep, done

router = APIRouter()
Text = Annotated[str, Form()]
Optional = Annotated[str, Form()]


def listed(text: str) -> list[str]:
    """A form's comma- or whitespace-separated list."""
    return [part for part in text.replace(",", " ").split() if part]


@router.post("/debt", response_model=None)
def add_debt(
    ctx: CtxDep,
    principle: Text,
    severity: Text,
    description: Text,
    owner: Text,
    runs: Optional = "",
    cases: Optional = "",
    csrf: Optional = "",
) -> Response:
    """Open a debt item (as `safetyloop debt add`): its principle and runs must exist."""
    check_csrf(ctx.request, csrf)
    acting_roles(ctx.config, ctx.user)
    item = open_debt(
        ctx.store,
        principle=principle,
        severity=severity,
        description=description,
        owner=owner,
        evidence={"run_ids": listed(runs), "case_ids": listed(cases)},
        actor=ctx.user,
        clock=env_clock(),
        constitution=load_constitution_checked(None),
    )
    return done(ctx, item, "/debt")


@router.post("/debt/{debt_id}/link", response_model=None)
def link_debt(ctx: CtxDep, debt_id: str, suite: Text, cases: Text, csrf: Optional = "") -> Response:
    """Link regression cases that must pass on a recorded run before the item can clear."""
    check_csrf(ctx.request, csrf)
    acting_roles(ctx.config, ctx.user)
    item = link_regression_cases(
        ctx.store, debt_id, suite=suite, case_ids=listed(cases), actor=ctx.user, clock=env_clock()
    )
    return done(ctx, item, "/debt")


@router.post("/incidents/{incident_id}/confirm", response_model=None)
def confirm(
    ctx: CtxDep,
    incident_id: str,
    failure_type: Optional = "",
    root_causes: Optional = "",
    csrf: Optional = "",
) -> Response:
    """Record a person's decision on the triage (blank fields: the suggested classes)."""
    check_csrf(ctx.request, csrf)
    acting_roles(ctx.config, ctx.user)
    confirm_triage(
        ctx.store,
        incident_id,
        failure_type=failure_type or None,
        root_causes=listed(root_causes),
        actor=ctx.user,
        clock=env_clock(),
    )
    return _incident(ctx, incident_id)


@router.post("/incidents/{incident_id}/close", response_model=None)
def close(ctx: CtxDep, incident_id: str, run: Text, csrf: Optional = "") -> Response:
    """Clear the incident's debt item on a run where its regression cases passed, as a user
    the policy lets clear debt (as `safetyloop incident close`)."""
    check_csrf(ctx.request, csrf)
    close_incident(
        ctx.store,
        incident_id,
        ctx.store.get_run(run).id,
        actor=ctx.user,
        roles=acting_roles(ctx.config, ctx.user),
        policy=load_policy(ctx.config.policy),
        clock=env_clock(),
    )
    return _incident(ctx, incident_id)


def _incident(ctx: Ctx, incident_id: str) -> Response:
    """The incident after a change: JSON for machines, else back to its page."""
    return done(ctx, get_incident(ctx.store, incident_id), f"/incidents/{incident_id}")
