"""The risk report of a target version, argued from the store as `safetyloop report risk` does.

The page reads only: it renders the report's own HTML template and JSON twin
(`report.risk_context`, `report.render_risk_report`) without opening the freshness debt or
recording a report, which stay with the command (audited, hashed files).
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from safetyloop.governance import env_clock
from safetyloop.report import RiskReportContext, render_risk_report, risk_context
from safetyloop.risk import argue, load_pathways
from safetyloop.risk.records import list_reports
from safetyloop.web._render import Ctx, CtxDep, render, wants_json

router = APIRouter()


class RiskPage(BaseModel):
    """The report's own HTML, shown inside the console."""

    target_version: str
    status: str
    html: str


def _context(ctx: Ctx, target_version: str) -> RiskReportContext:
    argument = argue(ctx.store, load_pathways(), target_version, env_clock().now())
    return risk_context(ctx.store, argument, [], list_reports(ctx.store))


@router.get("/risk/{target_version}.json", name="risk_json")
def risk_json(ctx: CtxDep, target_version: str) -> JSONResponse:
    """The report's JSON twin, as `safetyloop report risk -o report.json` writes it."""
    return JSONResponse(_context(ctx, target_version).twin())


@router.get("/risk/{target_version}", response_model=None)
def risk(ctx: CtxDep, target_version: str) -> Response:
    """The risk report of `target_version`, argued from the store now (shipped pathways)."""
    context = _context(ctx, target_version)
    if wants_json(ctx.request):
        return JSONResponse(context.twin())
    page = RiskPage(
        target_version=target_version,
        status=context.argument.status,
        html=render_risk_report(context, "html"),
    )
    return render(ctx.request, "risk.html", page)
