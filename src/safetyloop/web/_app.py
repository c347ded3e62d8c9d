"""The console app: sessions, static files, the error shape, and every page's router."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from safetyloop.errors import InputError, SafetyloopError
from safetyloop.governance._session import Refused
from safetyloop.store import Store
from safetyloop.web import (
    _actions,
    _pages_gate,
    _pages_governance,
    _pages_redteam,
    _pages_risk,
    _pages_runs,
    _risk_actions,
    _signin,
)
from safetyloop.web._auth import Forbidden, NotSignedIn
from safetyloop.web._config import WebConfig
from safetyloop.web._render import render, wants_json

#: HTTP status of each error kind; anything else a SafetyloopError says is a conflict.
_STATUS: list[tuple[type[SafetyloopError], int]] = [
    (NotSignedIn, 401),
    (Forbidden, 403),
    (Refused, 403),
    (InputError, 400),
]


def status_of(error: SafetyloopError) -> int:
    return next((code for kind, code in _STATUS if isinstance(error, kind)), 409)


def create_app(config: WebConfig | None = None) -> FastAPI:
    """The console over `config`'s store (opened, and migrated, once here)."""
    chosen = config or WebConfig()
    app = FastAPI(
        title="safetyloop console",
        description="Runs, gate decisions, reviews, debt, incidents and the audit log.",
        docs_url=None,
        redoc_url=None,
    )
    app.state.config = chosen
    app.state.store = Store(chosen.store_url)
    app.add_middleware(
        SessionMiddleware,
        secret_key=chosen.secret,
        session_cookie="safetyloop_session",
        same_site="strict",
        https_only=chosen.secure_cookies,
    )
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
    app.add_exception_handler(SafetyloopError, _error)  # type: ignore[arg-type]
    for module in (
        _signin,
        _pages_runs,
        _pages_gate,
        _pages_governance,
        _actions,
        _risk_actions,
        _pages_redteam,
        _pages_risk,
    ):
        app.include_router(module.router)
    app.add_api_route("/", _home, methods=["GET"], include_in_schema=False)
    return app


def _home() -> Response:
    return RedirectResponse("/runs", status_code=303)


def _error(request: Request, error: SafetyloopError) -> Response:
    """One error shape: `{"error": {"message", "hint", "status"}}`, or the same as a page."""
    status = status_of(error)
    if isinstance(error, NotSignedIn) and request.method == "GET" and not wants_json(request):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
    body = {"message": error.message, "hint": error.hint, "status": status}
    if wants_json(request) or getattr(request.state, "bearer", False):
        return JSONResponse({"error": body}, status_code=status)
    return render(request, "error.html", None, status=status, error=body)
