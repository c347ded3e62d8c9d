"""Runs: the list with filters, a run's cases a page at a time, one case whole, progress."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from safetyloop.governance.overrides import (
    VerdictOverride,
    borderline_item,
    override_labels,
    verdict_overrides,
)
from safetyloop.store import RunInfo
from safetyloop.store.web import (
    CaseFilter,
    CaseRecord,
    case_page,
    count_cases,
    find_runs,
    get_case,
    run_progress,
)
from safetyloop.web._params import MAX_POSITION, moment
from safetyloop.web._render import CtxDep, page

router = APIRouter()

#: Cases a run page shows at once.
PAGE_SIZE = 100


class RunRow(BaseModel):
    run: RunInfo
    suites: list[str]
    decision: str | None


class RunsPage(BaseModel):
    """Runs newest first, with the filters that chose them."""

    runs: list[RunRow]
    filters: dict[str, str]
    offset: int
    more: bool


@page(router, "/runs", "runs.html")
def runs(
    ctx: CtxDep,
    target: str | None = None,
    deployment: Annotated[str | None, Query(description="A baseline name: its target.")] = None,
    suite: str | None = None,
    status: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    offset: Annotated[int, Query(ge=0, le=MAX_POSITION)] = 0,
) -> RunsPage:
    if deployment:
        found = ctx.store.get_baseline(deployment)
        target = found.target_name if found else deployment
    limit = 50
    chosen = find_runs(
        ctx.store,
        target=target,
        status=status,
        since=moment(since, "since"),
        until=moment(until, "until"),
        limit=limit + 1,
        offset=offset,
    )
    rows = []
    for info in chosen[:limit]:
        suites = sorted(info.suite_versions)
        if suite and suite not in suites:
            continue
        decided = ctx.store.latest_gate_decision(info.id)
        rows.append(RunRow(run=info, suites=suites, decision=decided.decision if decided else None))
    given = {"target": target, "deployment": deployment, "suite": suite, "status": status}
    return RunsPage(
        runs=rows,
        filters={k: v for k, v in given.items() if v},
        offset=offset,
        more=len(chosen) > limit,
    )


class Progress(BaseModel):
    run_id: str
    status: str
    done: int
    total: int


@page(router, "/runs/{run_id}/progress", "progress.html")
def progress(ctx: CtxDep, run_id: str) -> Progress:
    """How far a run is: polled by a running run's page."""
    info = ctx.store.get_run(run_id)
    done, total = run_progress(ctx.store, info.id)
    return Progress(run_id=info.id, status=info.status, done=done, total=total)


class CaseLine(BaseModel):
    position: int
    case_key: str
    category: str
    expected: str
    prompt: str
    status: str | None
    verdicts: list[str]


class RunPage(BaseModel):
    """A run, its lineage and one page of its cases in plan order (keyset: `after`)."""

    run: RunInfo
    progress: Progress
    filter: CaseFilter
    matching: int
    cases: list[CaseLine]
    after: int
    next_after: int | None


def _prompt(case: dict[str, Any]) -> str:
    users = [m.get("content", "") for m in case.get("messages", []) if m.get("role") == "user"]
    text = str(users[-1]) if users else ""
    return text if len(text) <= 160 else f"{text[:157]}..."


def _line(record: CaseRecord) -> CaseLine:
    return CaseLine(
        position=record.position,
        case_key=record.case_key,
        category=str(record.case.get("category", "")),
        expected=str(record.case.get("expected", "")),
        prompt=_prompt(record.case),
        status=record.status,
        verdicts=[f"{v.scorer}: {v.label} ({v.confidence:.2f})" for v in record.verdicts],
    )


@page(router, "/runs/{run_id}", "run.html")
def run_page(
    ctx: CtxDep,
    run_id: str,
    suite: str | None = None,
    status: str | None = None,
    labels: Annotated[str | None, Query(description="Verdict labels, comma-separated.")] = None,
    scorer_version: str | None = None,
    after: Annotated[int, Query(ge=-1, le=MAX_POSITION)] = -1,
) -> RunPage:
    info = ctx.store.get_run(run_id)
    chosen = CaseFilter(
        suite=suite,
        status=status,
        labels=tuple(x for x in (labels or "").split(",") if x),
        scorer_version=scorer_version,
    )
    found = case_page(ctx.store, info.id, chosen=chosen, after=after, limit=PAGE_SIZE + 1)
    done, total = run_progress(ctx.store, info.id)
    shown = found[:PAGE_SIZE]
    return RunPage(
        run=info,
        progress=Progress(run_id=info.id, status=info.status, done=done, total=total),
        filter=chosen,
        matching=total if chosen == CaseFilter() else count_cases(ctx.store, info.id, chosen),
        cases=[_line(r) for r in shown],
        after=after,
        next_after=shown[-1].position if len(found) > PAGE_SIZE else None,
    )


class CasePage(BaseModel):
    """One case whole: every message (tool calls too), the answer, every verdict; by scorer,
    the borderline review item a verdict is under, its override and the labels to give."""

    run: RunInfo
    case: CaseRecord
    borderline_items: dict[str, str] = {}
    overrides: dict[str, VerdictOverride] = {}
    labels: dict[str, list[str] | None] = {}


@page(router, "/runs/{run_id}/case", "case.html")
def case(ctx: CtxDep, run_id: str, key: str) -> CasePage:
    info = ctx.store.get_run(run_id)
    record = get_case(ctx.store, info.id, key)
    items = {}
    for v in record.verdicts:
        if v.borderline:
            item = borderline_item(ctx.store, info.id, key, v.scorer)
            if item is not None:
                items[v.scorer] = item.id
    done = {o.scorer: o for o in verdict_overrides(ctx.store, info.id) if o.case_key == key}
    return CasePage(
        run=info,
        case=record,
        borderline_items=items,
        overrides=done,
        labels={scorer: override_labels(scorer) for scorer in items},
    )
