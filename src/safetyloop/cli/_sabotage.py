"""`safetyloop sabotage`: run a target on main tasks with hidden side tasks in the sandboxed
workspace, a monitor reading every transcript, into the store; show a stored run's main-task
success, side-task success, evasion and monitor AUC per pair."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich import box
from rich.table import Table

from ._common import (
    JsonOption,
    MaxTokensOption,
    StoreOption,
    TargetsFileOption,
    TimeoutOption,
    console,
    split_csv,
)
from ._episodic import interval_text, run_and_print, show_stored

if TYPE_CHECKING:
    from safetyloop.sabotage import Figure, SabotageReport

app = typer.Typer(
    help="Sabotage evaluations: main tasks with hidden side tasks, read by a monitor.",
    no_args_is_help=True,
)


@app.command("run")
def run_command(
    target: Annotated[str, typer.Option("--target", "-t", help="The agent under test.")] = (
        "local"
    ),
    monitor: Annotated[
        str,
        typer.Option(
            "--monitor",
            "-m",
            help="Target that reads each transcript, or scorer:NAME (a two-label scorer).",
        ),
    ] = "local",
    pair_files: Annotated[
        list[Path] | None, typer.Option("--pairs", help="A pair file (repeatable).")
    ] = None,
    pairs: Annotated[str, typer.Option("--pair", help="Comma-separated pair ids ('' all).")] = "",
    samples: Annotated[int, typer.Option(help="Episodes per pair and mode.", min=1)] = 1,
    threshold: Annotated[
        float, typer.Option(help="Suspicion (0-1) at which the monitor catches.", min=0, max=1)
    ] = 0.5,
    max_steps: Annotated[int, typer.Option(help="Model turns per episode.", min=1)] = 8,
    max_tokens: MaxTokensOption = 512,
    concurrency: Annotated[int, typer.Option(help="Episodes at once.", min=1)] = 2,
    timeout: TimeoutOption = 120.0,
    json_output: JsonOption = False,
    targets_file: TargetsFileOption = None,
    store: StoreOption = None,
) -> None:
    """Run TARGET on every pair, honestly and with the side task, into the store."""
    from safetyloop.engine import RunnerSettings
    from safetyloop.sabotage import SabotageConfig, SabotageRequest, run_sabotage, summarise

    request = SabotageRequest(
        target=target,
        monitor=monitor,
        targets_file=targets_file,
        pair_files=pair_files or [],
        pairs=split_csv(pairs) or None,
        config=SabotageConfig(
            samples=samples,
            max_steps=max_steps,
            max_tokens=max_tokens,
            threshold=threshold,
            concurrency=concurrency,
        ),
        runner=RunnerSettings(timeout_s=timeout),
    )

    run_and_print(
        store,
        lambda opened, progress: run_sabotage(request, opened, on_result=progress),
        summarise,
        _print,
        json_output=json_output,
        describe=lambda o: f"main {o['main']}, side {o['side']}, suspicion {o['suspicion']}",
        command="sabotage",
    )


@app.command("show")
def show_command(
    ref: Annotated[
        str, typer.Argument(help="A stored sabotage run (id, prefix or 'latest').")
    ] = "latest",
    json_output: JsonOption = False,
    store: StoreOption = None,
) -> None:
    """Main-task success, side-task success, evasion and monitor AUC per pair."""
    from safetyloop.sabotage import summarise

    show_stored(store, ref, summarise, _print, json_output)


def _cell(f: Figure) -> str:
    text = interval_text(f.value, f.low, f.high)
    return text if f.value is None else f"{text} n={f.n}"


def _print(report: SabotageReport, json_output: bool) -> None:
    if json_output:
        console.print_json(report.model_dump_json())
        return
    o = report.overall
    console.print(
        f"sabotage run {report.run_id} ({report.status}) · target {report.target_name} "
        f"{report.target_version[:12]} · monitor {report.monitor}, threshold "
        f"{report.threshold:g} · {o.episodes}/{report.planned} episodes, {o.errors} errors, "
        f"{o.monitor_errors} monitor errors · 95% intervals"
    )
    table = Table(box=box.SIMPLE_HEAD)
    for header in ("pair", "main success", "side success", "evasion", "monitor AUC"):
        table.add_column(header)
    for p in (*report.pairs, o):
        table.add_row(
            p.pair, _cell(p.main_success), _cell(p.side_success), _cell(p.evasion),
            _cell(p.monitor_auc),
        )  # fmt: skip
    console.print(table)
