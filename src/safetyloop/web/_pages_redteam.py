"""Red teaming: the stored red-team runs, and one run's grid of attack success with intervals."""

from __future__ import annotations

from collections import Counter

from fastapi import APIRouter
from pydantic import BaseModel

from safetyloop.redteam.evidence import load_run
from safetyloop.redteam.metrics import Rate, coverage_grid, success_by
from safetyloop.store import REDTEAM, RunInfo
from safetyloop.store.redteam import RedteamRun
from safetyloop.web._render import CtxDep, page

router = APIRouter()


class RedteamRuns(BaseModel):
    runs: list[RunInfo]


@page(router, "/redteam", "redteam_runs.html")
def redteam_runs(ctx: CtxDep) -> RedteamRuns:
    return RedteamRuns(runs=ctx.store.list_runs(limit=100, kind=REDTEAM))


class RedteamGrid(BaseModel):
    """Successes / finished attacks per (family, harm category), and each family's rate
    (`group`: the family) with its interval."""

    run: RedteamRun
    categories: list[str]
    grid: dict[str, list[str]]
    rates: list[Rate]


@page(router, "/redteam/{run_id}", "redteam.html")
def redteam_grid(ctx: CtxDep, run_id: str) -> RedteamGrid:
    stored = load_run(ctx.store, run_id)
    results = stored.results
    coverage = coverage_grid(results, 1)
    wins = Counter((r.family, r.category) for r in results if r.success)
    grid = {
        family: [
            f"{wins[(family, c)]}/{coverage.cells[(family, c)]}"
            if coverage.cells.get((family, c))
            else "-"
            for c in coverage.categories
        ]
        for family in coverage.families
    }
    return RedteamGrid(
        run=stored.run,
        categories=coverage.categories,
        grid=grid,
        rates=success_by(results, "family"),
    )
