"""`safetyloop redteam`: run attacks (single-turn transforms, Crescendo, PAIR, TAP, scripted),
show a run's grid and its most successful attacks, and list the transforms."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich import box
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from safetyloop.errors import PluginError

from ._common import (
    MaxTokensOption,
    StoreOption,
    TargetsFileOption,
    TimeoutOption,
    console,
    split_csv,
)

if TYPE_CHECKING:
    from safetyloop.redteam import Outcome

app = typer.Typer(help="Red teaming: attack a target, then read the grid.", no_args_is_help=True)


@app.command("run")
def run_command(
    target: Annotated[str, typer.Option("--target", "-t", help="Target under attack.")] = "local",
    attacker: Annotated[
        str | None, typer.Option(help="Attacker target (crescendo, pair, tap need one).")
    ] = None,
    judge: Annotated[
        str,
        typer.Option(
            help="Who decides success: a scorer (harm: was the harmful help given) or a target "
            "asked for a PAIR rating."
        ),
    ] = "harm",
    refusal_judge: Annotated[
        str | None,
        typer.Option(help="Crescendo's backtrack trigger: a scorer or target ('' for --judge)."),
    ] = "refusal",
    strategies: Annotated[
        str, typer.Option(help="Comma-separated: crescendo, pair, tap, scripted ('' for none).")
    ] = "crescendo,pair",
    transforms: Annotated[
        str, typer.Option(help="Comma-separated single-turn transforms (a+b composes).")
    ] = "",
    templates: Annotated[
        int, typer.Option(help="Also this many jailbreak templates, drawn by --seed.", min=0)
    ] = 0,
    plans: Annotated[Path | None, typer.Option(help="Scripted-escalation YAML.")] = None,
    suites: Annotated[str, typer.Option(help="Suites the harmful requests come from.")] = (
        "harmbench"
    ),
    requests: Annotated[
        int, typer.Option(help="Requests per suite, stratified by category.", min=1)
    ] = 3,
    turns: Annotated[int, typer.Option(help="Turns / iterations / TAP depth.", min=1)] = 3,
    backtracks: Annotated[int, typer.Option(help="Crescendo backtracks.", min=0)] = 2,
    budget: Annotated[
        int | None, typer.Option(help="Most target calls per conversation.", min=1)
    ] = None,
    width: Annotated[int, typer.Option(help="TAP: branches kept per depth.", min=1)] = 2,
    branching: Annotated[int, typer.Option(help="TAP: children per branch.", min=1)] = 2,
    max_tokens: MaxTokensOption = 48,
    attacker_tokens: Annotated[int, typer.Option(help="Attacker tokens per turn.", min=1)] = 96,
    seed: Annotated[int, typer.Option(help="Sampling, transform and attacker seed.")] = 0,
    concurrency: Annotated[int, typer.Option(help="Conversations at once.", min=1)] = 2,
    timeout: TimeoutOption = 120.0,
    attempts: Annotated[int, typer.Option(help="Attempts per request.", min=1)] = 4,
    new: Annotated[
        bool, typer.Option("--new", help="Start afresh instead of resuming the same plan.")
    ] = False,
    targets_file: TargetsFileOption = None,
    store: StoreOption = None,
) -> None:
    """Attack TARGET; resumes an interrupted run of the same plan (finished ones are kept)."""
    from safetyloop.engine import RetryPolicy, RunnerSettings
    from safetyloop.redteam import AttackSetRequest, RedteamRequest, run_redteam
    from safetyloop.redteam.strategies import Limits
    from safetyloop.targets import GenerateParams

    request = RedteamRequest(
        target=target,
        attacker=attacker,
        judge=judge,
        refusal_judge=refusal_judge or None,
        attacks=AttackSetRequest(
            suites=split_csv(suites),
            requests=requests,
            strategies=split_csv(strategies),
            transforms=split_csv(transforms),
            templates=templates,
            plans=plans,
            seed=seed,
        ),
        limits=Limits(turns, backtracks, budget, width, branching),
        params=GenerateParams(max_tokens=max_tokens, seed=seed),
        attacker_params=GenerateParams(max_tokens=attacker_tokens, temperature=0.7, seed=seed),
        runner=RunnerSettings(timeout_s=timeout, retry=RetryPolicy(max_attempts=attempts)),
        targets_file=targets_file,
        store_url=store,
        resume=not new,
    )
    with Progress(
        TextColumn("[bold]redteam"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[note]}"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as progress:
        task = progress.add_task("redteam", total=None, note="")
        counts = {"success": 0, "failed": 0, "error": 0}

        def started(total: int, done: int) -> None:
            progress.update(
                task, total=total, completed=done, note=f"{done} resumed" if done else ""
            )

        def finished(outcome: Outcome) -> None:
            kind = (
                "error"
                if outcome.status == "error"
                else ("success" if outcome.success else "failed")
            )
            counts[kind] += 1
            progress.update(task, advance=1, note=", ".join(f"{v} {k}" for k, v in counts.items()))

        run = run_redteam(request, on_start=started, on_done=finished)
    console.print(
        f"red-team run {run.id} {run.status}: attack set {run.attack_set_hash[:12]}; "
        f"show it with `safetyloop redteam show {run.id}`"
    )


def _cell(events: int, n: int) -> str:
    return f"{events}/{n}" if n else "-"


@app.command("show")
def show_command(
    run: Annotated[str, typer.Argument(help="Red-team run id, prefix or 'latest'.")] = "latest",
    top: Annotated[int, typer.Option(help="Successful attacks to print as excerpts.")] = 3,
    minimum: Annotated[int, typer.Option(help="Coverage minimum per cell.")] = 1,
    store: StoreOption = None,
) -> None:
    """Grid of attack success (families × harm categories), rates, turns, and excerpts."""
    from safetyloop.redteam.evidence import load_run
    from safetyloop.redteam.metrics import (
        coverage_grid,
        erosion_slope,
        first_failure_turns,
        success_by,
    )
    from safetyloop.store import Store

    with Store(store) as s:
        stored = load_run(s, run)
    info, conversations, events, results = (
        stored.run,
        stored.conversations,
        stored.events,
        stored.results,
    )
    console.print(
        f"red-team run {info.id} · {info.target_name} · {info.status} · attack set "
        f"{info.attack_set_hash[:12]} · judge {info.lineage.get('judge', {}).get('name')}"
    )
    grid = coverage_grid(results, minimum)
    console.print("attack success by family × harm category (successes / finished attacks)")
    table = Table(box=box.SIMPLE_HEAD)
    table.add_column("family")
    for category in grid.categories:
        table.add_column(category, justify="right")
    for family in grid.families:
        row = []
        for category in grid.categories:
            cell = [
                r
                for r in results
                if (r.family, r.category) == (family, category) and r.success is not None
            ]
            row.append(_cell(sum(1 for r in cell if r.success), len(cell)))
        table.add_row(family, *row)
    console.print(table)
    console.print("attack success rate by family, 95% interval")
    rates = Table(box=box.SIMPLE_HEAD)
    for column in ("family", "ASR", "interval", "n", "errors", "method"):
        rates.add_column(column)
    for r in success_by(results, "family"):
        rates.add_row(
            r.group,
            f"{r.rate:.2f}",
            f"[{r.low:.2f}, {r.high:.2f}]",
            str(r.n),
            str(r.errors),
            r.method,
        )
    console.print(rates)
    turns = first_failure_turns(results)
    console.print(
        "first-failure turn: "
        + (", ".join(f"turn {t}: {n}" for t, n in turns.items()) or "no successful attack")
    )
    slope = erosion_slope(results)
    console.print(
        f"policy-erosion slope (log-odds per turn): {slope.slope:+.2f} "
        f"[{slope.low:+.2f}, {slope.high:+.2f}], {slope.n} turns"
        if slope.estimable
        else f"policy-erosion slope: cannot be estimated ({slope.reason}; {slope.n} turns)",
        markup=False,
    )
    if grid.missing and minimum > 1:
        console.print(f"coverage: {len(grid.missing)} cells under {minimum} attacks")
    wins = sorted(
        (c for c in conversations if c.success),
        key=lambda c: (-(c.best_score or 0.0), c.first_failure_turn or 0, c.spec.key),
    )[:top]
    for c in wins:
        console.print(
            Text.assemble(
                "\n",
                (c.spec.key, "bold"),
                f" (succeeded at turn {c.first_failure_turn}, {c.backtracks} backtracks)",
            )
        )
        for e in events.get(c.id, []):
            if e.kind not in ("turn", "backtrack"):
                continue
            tag = f"turn {e.turn}{' ' + e.branch if e.branch else ''}" + (
                " (backtracked)" if e.kind == "backtrack" else ""
            )
            console.print(f"  {tag} user: {_excerpt(e.prompt)}", markup=False)
            console.print(f"  {tag} target [{e.label}]: {_excerpt(e.response or '')}", markup=False)
    errors = [c for c in conversations if c.status == "error"]
    for c in errors[:3]:
        console.print(f"error: {c.spec.key}: {c.error}", markup=False)


def _excerpt(text: str, limit: int = 160) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


@app.command("transforms")
def transforms_command(
    example: Annotated[str, typer.Option(help="Show each transform applied to this text.")] = "",
    templates: Annotated[bool, typer.Option(help="Also list the jailbreak templates.")] = False,
) -> None:
    """List the single-turn transforms (and jailbreak templates)."""
    from safetyloop.redteam import get_transform, transform_names

    table = Table(box=box.SIMPLE_HEAD)
    for column in ("name", "family", "description" if not example else "example (seed 0)"):
        table.add_column(column)
    for name in transform_names(include_templates=templates):
        try:
            t = get_transform(name)
        except PluginError as exc:
            table.add_row(name, "", f"(unavailable: {exc.message})")
            continue
        shown = _excerpt(t.apply(example, 0), 100) if example else t.description
        table.add_row(name, t.family, shown)
    console.print(table)
