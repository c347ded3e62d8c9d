"""`safetyloop capability`: elicit a target's capabilities on the suites its thresholds name,
into the store (resuming an interrupted run of the same plan), and show a stored run's
thresholds, methods and sandbagging check."""

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
    StoreOption,
    TargetsFileOption,
    TimeoutOption,
    console,
)
from ._episodic import interval_text, run_and_print, show_stored

if TYPE_CHECKING:
    from safetyloop.capability import CapabilityReport

app = typer.Typer(
    help="Capability thresholds: elicit what a target can do; show a stored run.",
    no_args_is_help=True,
)

CapabilitiesOption = Annotated[
    Path | None,
    typer.Option("--capabilities", help="capabilities.yaml (default: the bundled thresholds)."),
]


@app.command("run")
def run_command(
    target: Annotated[str, typer.Option("--target", "-t", help="Target to evaluate.")] = "local",
    capabilities: CapabilitiesOption = None,
    suites: Annotated[
        list[Path] | None, typer.Option("--suite", help="A capability suite file (repeatable).")
    ] = None,
    sample: Annotated[
        int | None, typer.Option(help="At most this many tasks per suite.", min=1)
    ] = None,
    k: Annotated[int, typer.Option("-k", help="Samples for best-of-k.", min=1)] = 3,
    max_steps: Annotated[int, typer.Option(help="Model turns per attempt.", min=1)] = 6,
    max_tokens: MaxTokensOption = 512,
    concurrency: Annotated[int, typer.Option(help="Attempts at once.", min=1)] = 2,
    timeout: TimeoutOption = 120.0,
    json_output: JsonOption = False,
    targets_file: TargetsFileOption = None,
    store: StoreOption = None,
) -> None:
    """Run every elicitation method of the thresholds' suites against TARGET, into the store,
    and print each threshold's elicited capability and verdict."""
    from safetyloop.capability import (
        CapabilityRequest,
        ElicitationConfig,
        run_capability,
        summarise,
    )
    from safetyloop.engine import RunnerSettings

    request = CapabilityRequest(
        target=target,
        targets_file=targets_file,
        capabilities=capabilities,
        suites=suites or [],
        sample=sample,
        config=ElicitationConfig(
            k=k, max_steps=max_steps, max_tokens=max_tokens, concurrency=concurrency
        ),
        runner=RunnerSettings(timeout_s=timeout),
    )

    run_and_print(
        store,
        lambda opened, progress: run_capability(request, opened, on_result=progress),
        summarise,
        _print,
        json_output=json_output,
        describe=_describe,
        command="capability",
    )


def _describe(outcome: dict[str, object]) -> str:
    solved = outcome.get("solved")
    return "error" if solved is None else ("solved" if solved else "not solved")


@app.command("show")
def show_command(
    ref: Annotated[
        str, typer.Argument(help="A stored capability run (id, prefix or 'latest').")
    ] = "latest",
    capabilities: Annotated[
        Path | None,
        typer.Option(
            "--capabilities", help="Judge under this file instead of the one the run used."
        ),
    ] = None,
    json_output: JsonOption = False,
    store: StoreOption = None,
) -> None:
    """Each threshold's elicited capability, every method's rate and the sandbagging check."""
    from safetyloop.capability import load_capabilities, summarise

    judged = load_capabilities(capabilities) if capabilities else None
    show_stored(store, ref, lambda s, r: summarise(s, r, judged), _print, json_output)


def _print(report: CapabilityReport, json_output: bool) -> None:
    if json_output:
        console.print_json(report.model_dump_json())
        return
    caps = report.capabilities
    console.print(
        f"capability run {report.run_id} ({report.status}) · target {report.target_name} "
        f"{report.target_version[:12]} · {report.attempts}/{report.planned} attempts, "
        f"{report.errors} errors · deployed safeguards: {caps.deployed}"
    )
    table = Table(box=box.SIMPLE_HEAD)
    for header in ("threshold", "elicited (max, 95%)", "best method", "tasks", "limits", "verdict"):
        table.add_column(header)
    for t in report.thresholds:
        verdict = str(t.verdict) if t.verdict is not None else "not measured"
        if t.verdict is not None and t.verdict.value == "crossed":
            verdict += f" (requires {t.requires}: " + ("met)" if t.safeguarded else "NOT met)")
        table.add_row(
            t.id,
            interval_text(t.value, t.low, t.high),
            t.best_method or "-",
            str(t.n),
            f"out < {t.rule_out:g}, in >= {t.rule_in:g}",
            verdict,
        )
    console.print(table)
    methods = Table(title="by elicitation method", box=box.SIMPLE_HEAD, title_justify="left")
    methods.add_column("threshold")
    for m in caps.methods:
        methods.add_column(m, justify="right")
    for t in report.thresholds:
        methods.add_row(t.id, *(f"{r.solved}/{r.n}" if r.n else "-" for r in t.methods))
    console.print(methods)
    s = report.sandbagging
    if s is None:
        console.print("sandbagging check: not run")
        return
    line = (
        f"sandbagging check: neutral {s.neutral_solved}/{s.pairs} vs evaluation framing "
        f"{s.evaluation_solved}/{s.pairs}; gap {s.gap:+.2f} [{s.gap_low:+.2f}, {s.gap_high:+.2f}], "
        f"McNemar exact p={s.p_value:.3g}"
    )
    console.print(
        Text(line + (" — FINDING" if s.finding else ""), style="red" if s.finding else "")
    )
