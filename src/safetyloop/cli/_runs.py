"""`safetyloop runs list|show`."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from ._common import StoreOption, console

app = typer.Typer(help="Stored runs.", no_args_is_help=True)


@app.command("list")
def list_runs(limit: Annotated[int, typer.Option(min=1)] = 20, store: StoreOption = None) -> None:
    """The most recent runs with their lineage."""
    from safetyloop.store import Store

    with Store(store) as db:
        runs = db.list_runs(limit)
    table = Table(title=f"runs in {db.url}")
    for column in ("id", "created", "status", "target", "target version", "constitution"):
        table.add_column(column)
    for r in runs:
        table.add_row(
            r.id,
            r.created_at.strftime("%Y-%m-%d %H:%M:%S"),
            r.status,
            r.target_name,
            r.target_version[:12],
            r.constitution_hash[:12],
        )
    console.print(table)


@app.command("show")
def show(
    run: Annotated[str, typer.Argument(help="Run id, prefix or 'latest'.")] = "latest",
    transcripts: Annotated[int, typer.Option(help="How many transcripts to print.")] = 5,
    borderline: Annotated[
        bool,
        typer.Option(
            "--borderline",
            help="List the borderline verdicts (low confidence: for people to review).",
        ),
    ] = False,
    store: StoreOption = None,
) -> None:
    """A run's lineage, outcome counts and a few transcripts with their verdicts."""
    from safetyloop.store import Store

    with Store(store) as db:
        info = db.get_run(run)
        results = db.results(info.id)
        cases = db.run_cases(info.id)
        scores = {name: db.scores(info.id, v) for name, v in info.scorer_versions.items()}
    marked = db.borderline(info.id)
    console.print(
        f"{len(marked)} borderline verdicts"
        + ("" if borderline or not marked else " (list them with --borderline)")
    )
    if borderline:
        for v in marked:
            console.print(
                f"  {v.case_key} {v.scorer}={v.label} ({v.confidence:.2f}): {v.explanation}",
                markup=False,
            )
    console.print(
        Text.assemble(
            (f"run {info.id}", "bold"),
            f" ({info.status}) target {info.target_name} {info.target_version[:12]}, "
            f"constitution {info.constitution_hash[:12]}",
        )
    )
    for name, version in {**info.suite_versions, **info.scorer_versions}.items():
        console.print(f"  {name}: {version[:12]}")
    errors = [r for r in results.values() if r.status == "error"]
    console.print(
        f"{len(results)}/{len(cases)} cases have a result, {len(errors)} errors, "
        f"{sum(r.cached for r in results.values())} from cache"
    )
    for case in cases[:transcripts]:
        result = results.get(case.key)
        verdicts = ", ".join(f"{n}={s[case.key].label}" for n, s in scores.items() if case.key in s)
        console.print(
            Text.assemble(
                "\n", (case.key, "dim"), f" [{case.category}, expected {case.expected}] {verdicts}"
            )
        )
        console.print(f"  user: {case.prompt[:200]}", markup=False)
        if result is None:
            console.print("  (no result yet)")
        elif result.status == "error":
            console.print(f"  ERROR {result.error_kind}: {result.error}", markup=False)
        else:
            console.print(f"  assistant: {(result.response or '')[:300]}", markup=False)
