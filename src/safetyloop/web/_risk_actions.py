"""The risk report's people's actions: attest a control, critique a recorded report, answer a
critique.

Each calls the function `safetyloop attest add` or `report critique add|answer` calls, as the
signed-in user; a user the roles file does not list is read-only (403). An attestation queues its
`control-attestation` review, which its attester cannot sign.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import Response
from pydantic import BaseModel

from safetyloop.governance import env_clock, load_policy
from safetyloop.governance.reviews import ReviewItem
from safetyloop.risk import load_pathways
from safetyloop.risk.attestations import Attestation, add_attestation
from safetyloop.risk.records import add_critique, answer_critique
from safetyloop.web._actions import listed
from safetyloop.web._auth import acting_roles, check_csrf
from safetyloop.web._params import moment
from safetyloop.web._render import CtxDep, done

router = APIRouter()
Text = Annotated[str, Form()]
Optional = Annotated[str, Form()]


class Attested(BaseModel):
    attestation: Attestation
    review: ReviewItem


@router.post("/attestations", response_model=None)
def attest(
    ctx: CtxDep,
    control: Text,
    pathways: Text,
    owner: Text,
    how: Text,
    expires: Annotated[datetime, Form()],
    last_checked: Annotated[datetime | None, Form()] = None,
    csrf: Optional = "",
) -> Response:
    """Attest a control over the shipped pathways; goes to its review item's page."""
    check_csrf(ctx.request, csrf)
    acting_roles(ctx.config, ctx.user)
    clock = env_clock()
    att, item = add_attestation(
        ctx.store,
        control=control,
        pathways=listed(pathways),
        owner=owner,
        how=how,
        last_checked=moment(last_checked, "last_checked") or clock.now(),
        expires_at=moment(expires, "expires") or expires,
        actor=ctx.user,
        known_pathways=[p.id for p in load_pathways(None).pathways],
        policy=load_policy(ctx.config.policy),
        clock=clock,
    )
    return done(ctx, Attested(attestation=att, review=item), f"/reviews/{item.id}")


@router.post("/critiques", response_model=None)
def critique(ctx: CtxDep, report: Text, text: Text, csrf: Optional = "") -> Response:
    """Attach the signed-in reviewer's critique to a recorded risk report."""
    check_csrf(ctx.request, csrf)
    acting_roles(ctx.config, ctx.user)
    made = add_critique(ctx.store, report, text=text, reviewer=ctx.user, clock=env_clock())
    return done(ctx, made, "/audit")


@router.post("/critiques/answers", response_model=None)
def answer(ctx: CtxDep, critique: Text, text: Text, csrf: Optional = "") -> Response:
    """Answer a critique; the next report of that version shows both."""
    check_csrf(ctx.request, csrf)
    acting_roles(ctx.config, ctx.user)
    made = answer_critique(ctx.store, critique, text=text, actor=ctx.user, clock=env_clock())
    return done(ctx, made, "/audit")
