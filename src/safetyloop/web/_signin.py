"""Signing in and out. The session is renewed on sign-in (new CSRF token) and cleared on exit."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel

from safetyloop.web._auth import CSRF_KEY, USER_KEY, check_csrf, check_password, roles_of
from safetyloop.web._render import CtxDep, page, render

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
    """Sign in with a password; a wrong one is 401 with the form again, saying which."""
    check_csrf(request, csrf)
    if not check_password(request.app.state.store, name, password):
        return render(request, "login.html", None, status=401, next=_safe_next(next), failed=True)
    request.session.clear()
    request.session[USER_KEY] = name
    request.session[CSRF_KEY] = secrets.token_urlsafe(32)
    return RedirectResponse(_safe_next(next), status_code=303)


@router.post("/logout", response_model=None)
def logout(request: Request, csrf: Annotated[str, Form()] = "") -> Response:
    check_csrf(request, csrf)
    request.session.clear()
    return RedirectResponse("/login", status_code=303)
