"""Why a release is blocked, down to the transcript: the gate, a comparison, the history."""

from __future__ import annotations

import tempfile
from datetime import datetime
from pathlib import Path
from urllib.parse import urlencode

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel

from safetyloop.api import gate
from safetyloop.gate import Decision, RegressionReport
from safetyloop.governance import env_clock
from safetyloop.releases import History, compare, history
from safetyloop.report import plot_history
from safetyloop.scoring import METRICS
from safetyloop.store.web import LabelChange, label_changes
from safetyloop.web._render import Ctx, CtxDep, page

router = APIRouter()


class CasesLink(BaseModel):
    """The cases behind one criterion's rate: its events, on one suite, as the run page lists."""

    principle: str
    metric: str
    suite: str
    events: int
    n: int
    url: str


class GatePage(BaseModel):
    """The decision as it stands now (governance included, not recorded) and the last recorded."""

    run_id: str
    decision: Decision
    recorded: str | None
    recorded_at: datetime | None
    cases: list[CasesLink]


def _store_url(ctx: Ctx) -> str:
    return ctx.store.url


def _links(decision: Decision) -> list[CasesLink]:
    out = []
    for p in decision.principles:
        for c in p.criteria:
            metric = METRICS.get(c.metric)
            labels = ",".join(sorted(metric.event_labels)) if metric else ""
            for suite in c.suites:
                query = urlencode(
                    {"suite": suite, "labels": labels, "scorer_version": c.scorer_version}
                )
                out.append(
                    CasesLink(
                        principle=p.id,
                        metric=c.metric,
                        suite=suite,
                        events=c.events,
                        n=c.n,
                        url=f"/runs/{decision.run_id}?{query}",
                    )
                )
    return out


@page(router, "/runs/{run_id}/gate", "gate.html")
def gate_page(ctx: CtxDep, run_id: str) -> GatePage:
    info = ctx.store.get_run(run_id)
    decision = gate(info.id, store_url=_store_url(ctx), record=False, clock=env_clock())
    recorded = ctx.store.latest_gate_decision(info.id)
    return GatePage(
        run_id=info.id,
        decision=decision,
        recorded=recorded.decision if recorded else None,
        recorded_at=recorded.created_at if recorded else None,
        cases=_links(decision),
    )


class CaseChange(BaseModel):
    change: LabelChange
    direction: str  # regression | improvement | changed


class ComparePage(BaseModel):
    """Two runs side by side: every test (regressions first) and the cases that changed."""

    baseline: str
    candidate: str
    report: RegressionReport
    cases: list[CaseChange]


_ORDER = {"regression": 0, "inconclusive": 1, "non-inferior": 2}


def _direction(change: LabelChange) -> str:
    """Worse when the candidate's label is an event of a metric for this case and was not."""
    metrics = [m for m in METRICS.values() if m.applies_to.value == change.expected]
    if any(
        m.is_event(change.candidate_label) and not m.is_event(change.baseline_label)
        for m in metrics
    ):
        return "regression"
    if any(
        m.is_event(change.baseline_label) and not m.is_event(change.candidate_label)
        for m in metrics
    ):
        return "improvement"
    return "changed"


@page(router, "/compare", "compare.html")
def compare_page(ctx: CtxDep, baseline: str, candidate: str) -> ComparePage:
    base, cand = ctx.store.get_run(baseline).id, ctx.store.get_run(candidate).id
    report = compare(base, cand, store_url=_store_url(ctx))
    ordered = sorted(report.tests, key=lambda t: (_ORDER.get(t.verdict, 3), t.p_adjusted))
    changes = [
        CaseChange(change=c, direction=_direction(c)) for c in label_changes(ctx.store, base, cand)
    ]
    rank = {"regression": 0, "changed": 1, "improvement": 2}
    return ComparePage(
        baseline=base,
        candidate=cand,
        report=report.model_copy(update={"tests": ordered}),
        cases=sorted(changes, key=lambda c: rank[c.direction]),
    )


class HistoryPage(BaseModel):
    deployment: str
    history: History


@page(router, "/history", "history.html")
def history_page(ctx: CtxDep, deployment: str | None = None) -> HistoryPage:
    found = history(deployment, store_url=_store_url(ctx))
    return HistoryPage(deployment=found.deployment, history=found)


@router.get("/history.svg", response_class=Response)
def history_plot(ctx: CtxDep, deployment: str | None = None) -> Response:
    """The history plot (SVG), drawn by the report stage as `safetyloop history --plot` does."""
    found = history(deployment, store_url=_store_url(ctx))
    with tempfile.TemporaryDirectory() as folder:
        svg = plot_history(found, Path(folder) / "history.svg").read_bytes()
    return Response(svg, media_type="image/svg+xml")
