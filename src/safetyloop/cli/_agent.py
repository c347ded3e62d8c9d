"""`safetyloop agent`: run a target as a tool-using agent on the bundled (or given) tasks under
injection attacks, into the store (resuming an interrupted run of the same plan), and show a
stored (or exported) run's rates per environment and per attack."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich import box
from rich.table import Table
from rich.text import Text

from ._common import (
    JsonOption,
    MaxTokensOption,
    MkdirOption,
    StoreOption,
    TargetsFileOption,
    TimeoutOption,
    console,
    output_folder,
    split_csv,
)

if TYPE_CHECKING:
    from safetyloop.agentic import AgenticRun, MetricGroup, Rate

app = typer.Typer(
    help="Agents: run a target with tools under prompt injection; show a stored run.",
    no_args_is_help=True,
)

_COLUMNS = (
    ("benign utility", "benign_utility"),
    ("utility under attack", "utility_under_attack"),
    ("targeted attack success", "targeted_attack_success"),
    ("unsanctioned actions", "unsanctioned_action_rate"),
)


@app.command("run")
def run_command(
    target: Annotated[str, typer.Option("--target", "-t", help="Target acting as the agent.")] = (
        "local"
    ),
    tasks: Annotated[
        list[Path] | None, typer.Option("--tasks", help="Task file (repeatable; default bundled).")
    ] = None,
    environments: Annotated[
        str, typer.Option("--env", help="Comma-separated environments ('' for all).")
    ] = "",
    user_tasks: Annotated[
        str, typer.Option(help="Comma-separated user task ids ('' for all).")
    ] = "",
    goals: Annotated[
        str, typer.Option(help="Comma-separated injection goal ids ('' for all).")
    ] = "",
    attacks: Annotated[str, typer.Option(help="Comma-separated attacks ('' for none).")] = (
        "important_instructions,tool_knowledge,data_exfiltration"
    ),
    defences: Annotated[
        str, typer.Option(help="Comma-separated: tool_filter, spotlight, injection_detector.")
    ] = "",
    benign: Annotated[
        bool, typer.Option("--benign/--no-benign", help="Also run each task without attack.")
    ] = True,
    max_steps: Annotated[int, typer.Option(help="Model turns per episode.", min=1)] = 15,
    episode_tokens: Annotated[
        int, typer.Option(help="Tokens per episode (as the provider reports them).", min=1)
    ] = 200_000,
    max_tokens: MaxTokensOption = 512,
    concurrency: Annotated[int, typer.Option(help="Episodes at once.", min=1)] = 4,
    timeout: TimeoutOption = 120.0,
    attempts: Annotated[int, typer.Option(help="Attempts per model call.", min=1)] = 4,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Also export the run as JSON here.")
    ] = None,
    mkdir: MkdirOption = False,
    json_output: JsonOption = False,
    targets_file: TargetsFileOption = None,
    store: StoreOption = None,
) -> None:
    """Run TARGET as an agent on every case into the store and print its rates.

    Re-running the same plan resumes its interrupted run: finished episodes are not sent again.
    """
    from safetyloop.agentic import (
        AgentLimits,
        AgentRunConfig,
        AgentRunRequest,
        run_agent_stored,
        write_run,
    )
    from safetyloop.engine import RetryPolicy, RunnerSettings
    from safetyloop.targets import GenerateParams

    if out is not None:
        output_folder(out, mkdir=mkdir)
    request = AgentRunRequest(
        target=target,
        targets_file=targets_file,
        task_files=tasks or [],
        config=AgentRunConfig(
            attacks=split_csv(attacks),
            defences=list(split_csv(defences)),
            environments=split_csv(environments) or None,
            user_tasks=split_csv(user_tasks) or None,
            injection_goals=split_csv(goals) or None,
            benign=benign,
            limits=AgentLimits(max_steps=max_steps, max_tokens=episode_tokens),
            params=GenerateParams(max_tokens=max_tokens),
            concurrency=concurrency,
        ),
        runner=RunnerSettings(timeout_s=timeout, retry=RetryPolicy(max_attempts=attempts)),
    )
    run = run_agent_stored(
        request,
        store,
        on_wait=lambda: _note("waiting: another process is running this plan", json_output),
        on_resume=lambda rid, done, planned: _note(
            f"resuming agentic run {rid}: {done} of {planned} episodes already done", json_output
        ),
    )
    if out is not None:
        write_run(run, out)
    _print(run, json_output)
    if not json_output:
        console.print(
            f"agentic run {run.run_id} ({run.status}); show it again with "
            f"`safetyloop agent show {run.run_id}`" + (f"; exported to {out}" if out else "")
        )


def _note(message: str, json_output: bool) -> None:
    if not json_output:
        console.print(Text(message, style="dim"))


@app.command("show")
def show_command(
    ref: Annotated[
        str,
        typer.Argument(help="A stored agentic run (id, prefix or 'latest'), or a JSON export."),
    ] = "latest",
    case: Annotated[
        str | None, typer.Option(help="Print this case's trajectory step by step.")
    ] = None,
    json_output: JsonOption = False,
    store: StoreOption = None,
) -> None:
    """Rates per environment and per attack of a stored run, or one case's trajectory."""
    from safetyloop.agentic import load_stored_run, read_run
    from safetyloop.errors import InputError
    from safetyloop.store import Store

    path = Path(ref)
    run: AgenticRun
    if path.suffix == ".json" or path.is_file():
        run = read_run(path)
    else:
        with Store(store) as opened:
            run = load_stored_run(opened, ref)
    if case is None:
        _print(run, json_output)
        return
    found = next((t for t in run.trajectories if t.case.id == case), None)
    if found is None:
        raise InputError(f"no case {case!r} in {ref}", hint="`agent show --json` lists them")
    if json_output:
        console.print_json(found.model_dump_json())
        return
    console.print(
        f"{found.case.id}: {found.status}, {len(found.steps)} steps, {found.tokens} tokens"
    )
    for step in found.steps:
        console.print(Text(f"[{step.index}] {step.text}".rstrip(), style="bold"))
        for note in (step.parse_error and f"parse error: {step.parse_error}", step.error):
            if note:
                console.print(Text(f"    {note}", style="red"))
        for e in step.executions:
            mark = "" if e.sanctioned else " UNSANCTIONED"
            console.print(Text(f"    {e.tool}({e.arguments}) -> {e.status}{mark}"))
            console.print(Text(f"      {e.output[:300]}", style="dim"))
    if found.final_answer is not None:
        console.print(Text(f"final answer: {found.final_answer}"))


def _cell(rate: Rate) -> str:
    if rate.rate is None or rate.low is None or rate.high is None:
        return f"- ({rate.errors} errors)" if rate.errors else "-"
    text = f"{rate.rate:.2f} [{rate.low:.2f}, {rate.high:.2f}] {rate.events}/{rate.n}"
    return f"{text}, {rate.errors} err" if rate.errors else text


def _table(title: str, rows: dict[str, MetricGroup]) -> Table:
    table = Table(title=title, box=box.SIMPLE_HEAD, title_justify="left")
    table.add_column("")
    for header, _ in _COLUMNS:
        table.add_column(header, justify="right")
    for name, group in rows.items():
        table.add_row(name, *(_cell(getattr(group, field)) for _, field in _COLUMNS))
    return table


def _print(run: AgenticRun, json_output: bool) -> None:
    if json_output:
        console.print_json(run.metrics.model_dump_json())
        return
    m = run.metrics
    console.print(
        f"agent {run.agent[:12]} · tasks {run.tasks_version[:12]} · {len(run.outcomes)} episodes "
        "· rates with 95% intervals (cluster bootstrap over user tasks where they repeat)"
    )
    console.print(_table("by environment", {"all": m.overall, **m.by_environment}))
    if m.by_attack:
        console.print(_table("by attack", m.by_attack))
