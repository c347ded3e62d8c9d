"""Signing in and out. The session is renewed on sign-in (new CSRF token) and cleared on exit;
both are audited (`console.signed_in`, `console.signed_out`, by the user), and a name with too
many failed sign-ins is refused for a while (429, `_throttle`; audited once as
`console.sign_in_throttled`)."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel

from safetyloop.governance import audit, env_clock
from safetyloop.web._auth import CSRF_KEY, USER_KEY, check_csrf, check_password, roles_of
from safetyloop.web._render import CtxDep, page, render
from safetyloop.web._throttle import SignInThrottle

router = APIRouter()


class Me(BaseModel):
    """Who is signed in and the roles the governance roles file gives them."""

    user: str
    roles: list[str]
    read_only: bool


@page(router, "/me", "me.html")
def me(ctx: CtxDep) -> Me:
    roles = roles_of(ctx.config, ctx.user)
    return Me(user=ctx.user, roles=roles, read_only=not roles)


def _safe_next(target: str) -> str:
    """Only a path on this site (never `//host` or a scheme): no open redirect."""
    return target if target.startswith("/") and not target.startswith("//") else "/runs"


@router.get("/login", response_class=HTMLResponse, include_in_schema=False)
def login_page(request: Request, next: str = "/runs") -> HTMLResponse:
    return render(request, "login.html", None, next=_safe_next(next))


@router.post("/login", response_class=HTMLResponse, response_model=None)
def login(
    request: Request,
    name: Annotated[str, Form()],
    password: Annotated[str, Form()],
    csrf: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/runs",
) -> Response:
    """Sign in with a password; a wrong one is 401 with the form again, saying which; a name
    with too many recent failures is 429 without its password being checked."""
    check_csrf(request, csrf)
    store = request.app.state.store
    throttle = _throttle(request)
    wait = throttle.wait_s(name)
    if wait > 0:
        return render(
            request, "login.html", None, status=429, next=_safe_next(next), wait_min=wait / 60
        )
    if not check_password(store, name, password):
        throttle.failed(name)
        if throttle.wait_s(name) > 0:
            throttled = {"name": name, "failures": throttle.limit, "window_s": throttle.window_s}
            audit.record(
                store, "console.sign_in_throttled", throttled, actor=name, clock=env_clock()
            )
        return render(request, "login.html", None, status=401, next=_safe_next(next), failed=True)
    throttle.succeeded(name)
    request.session.clear()
    request.session[USER_KEY] = name
    request.session[CSRF_KEY] = secrets.token_urlsafe(32)
    audit.record(store, "console.signed_in", {"user": name}, actor=name, clock=env_clock())
    return RedirectResponse(_safe_next(next), status_code=303)


def _throttle(request: Request) -> SignInThrottle:
    """The app's count of failed sign-ins (made on first use)."""
    state = request.app.state
    if not hasattr(state, "sign_in_throttle"):
        state.sign_in_throttle = SignInThrottle()
    throttle: SignInThrottle = state.sign_in_throttle
    return throttle


@router.post("/logout", response_model=None)
def logout(request: Request, csrf: Annotated[str, Form()] = "") -> Response:
    check_csrf(request, csrf)
    user = request.session.get(USER_KEY)
    request.session.clear()
    if isinstance(user, str):
        audit.record(
            request.app.state.store,
            "console.signed_out",
            {"user": user},
            actor=user,
            clock=env_clock(),
        )
    return RedirectResponse("/login", status_code=303)
