"""One page, two faces: a data function's model as HTML (its template) or as its JSON twin.

`page(router, "/runs/{run_id}", "run.html")` registers the data function at the path (HTML,
or JSON when asked with `Accept: application/json`) and at `path + ".json"` (always JSON), so
every page has a stable permalink and a machine-readable twin built from the same data.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel

from safetyloop.store import Store
from safetyloop.web._auth import csrf_token, roles_of, signed_in
from safetyloop.web._config import WebConfig

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")
F = TypeVar("F", bound=Callable[..., BaseModel])


@dataclass(frozen=True)
class Ctx:
    """A signed-in request: the console's settings, its store and who asks."""

    request: Request
    config: WebConfig
    store: Store
    user: str


def context(request: Request) -> Ctx:
    """The request's context; raises NotSignedIn (sign-in page or 401) without a user."""
    store: Store = request.app.state.store
    return Ctx(request, request.app.state.config, store, signed_in(request, store))


CtxDep = Annotated[Ctx, Depends(context)]


def wants_json(request: Request) -> bool:
    """`.json` paths, and requests that accept JSON but not HTML, get the JSON twin."""
    if request.url.path.endswith(".json"):
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def render(
    request: Request, template: str, page: BaseModel | None, status: int = 200, **extra: Any
) -> HTMLResponse:
    """A template with the page model, the user, their roles and the CSRF token."""
    config: WebConfig = request.app.state.config
    user = request.session.get("user") if "session" in request.scope else None
    twin = f"{request.url.path}.json" + (f"?{request.url.query}" if request.url.query else "")
    return TEMPLATES.TemplateResponse(
        request,
        template,
        {
            "page": page,
            "user": user,
            "roles": roles_of(config, user) if isinstance(user, str) else [],
            "csrf": csrf_token(request),
            "json_url": twin,
            **extra,
        },
        status_code=status,
    )


def page(router: APIRouter, path: str, template: str) -> Callable[[F], F]:
    """Register a data function as the page at `path` and its JSON twin at `path.json`."""

    def register(fn: F) -> F:
        router.add_api_route(f"{path}.json", fn, methods=["GET"], name=f"{fn.__name__}_json")

        @functools.wraps(fn)
        def html(**kwargs: Any) -> Response:
            ctx: Ctx = kwargs["ctx"]
            model = fn(**kwargs)
            if wants_json(ctx.request):
                return JSONResponse(jsonable_encoder(model))
            return render(ctx.request, template, model)

        router.add_api_route(
            path,
            html,
            methods=["GET"],
            response_class=HTMLResponse,
            response_model=None,
            name=fn.__name__,
        )
        return fn

    return register


def done(ctx: Ctx, model: BaseModel, then: str) -> Response:
    """After a mutation: the JSON result for machines, else back to the page (303)."""
    if wants_json(ctx.request) or getattr(ctx.request.state, "bearer", False):
        return JSONResponse(jsonable_encoder(model))
    return RedirectResponse(then, status_code=303)
