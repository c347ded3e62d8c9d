"""`safetyloop gate RUN`: the release decision, as a table, JSON, Markdown, JUnit or HTML."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich import box
from rich.table import Table
from rich.text import Text

from safetyloop.errors import InputError

from ._common import (
    ConstitutionOption,
    JsonOption,
    MkdirOption,
    StoreOption,
    console,
    output_folder,
)
from ._stats_views import VERDICT_STYLE, method_note

if TYPE_CHECKING:
    from safetyloop.gate import CriterionResult, Decision

#: Style of each status, by its value (the gate's `Status` is a string enum).
_STYLE = {
    "PASS": "bold green",
    "WARN": "bold yellow",
    "NOT MEASURED": "bold magenta",
    "BLOCK": "bold red",
}
_SUFFIX_FORMAT = {".json": "json", ".md": "markdown", ".xml": "junit", ".html": "html"}


def _table(decision: Decision) -> Table:
    table = Table(
        title=f"gate {decision.run_id} · {decision.target}", box=box.SIMPLE_HEAD, pad_edge=False
    )
    # On a narrow terminal the long cells wrap; the id and the status never shrink away.
    table.add_column("id", no_wrap=True, min_width=2)
    table.add_column("status", no_wrap=True, min_width=len("NOT MEASURED"))
    table.add_column("metric / rule", overflow="fold")
    table.add_column(f"rate [{decision.confidence:.0%} interval]", overflow="fold")
    table.add_column("n (err)", justify="right", no_wrap=True)
    table.add_column("limit", overflow="fold")
    for p in decision.principles:
        status = Text(p.status.value, _STYLE[p.status.value])
        if not p.criteria:
            rule = p.findings[0].rule if p.findings else ""
            table.add_row(p.id, status, Text(rule), "", "", "")
        for c in p.criteria:
            table.add_row(
                p.id,
                status,
                c.metric,
                f"{c.rate:.3f} [{c.low:.3f}, {c.high:.3f}]{method_note(c)}",
                f"{c.n} ({c.errors})",
                c.limits,
            )
        report = decision.regression
        for t in report.tests if report else []:
            if report and t.principle == p.id and t.category is None:
                table.add_row(
                    p.id,
                    Text(t.verdict, VERDICT_STYLE[t.verdict]),
                    "Δ vs baseline" + (" (paired)" if t.paired else ""),
                    f"{t.difference:+.3f} [{t.low:+.3f}, {t.high:+.3f}]",
                    f"{t.candidate_n}/{t.baseline_n}",
                    f"< {t.margin:g}",
                )
    return table


def _scorer_cell(c: CriterionResult) -> str:
    """Which scorer produced the number, its measured agreement, and whose labels measured it."""
    if c.calibration is None:
        return f"{c.scorer} (no calibration record)"
    cal = c.calibration
    return f"{c.scorer} (acc {cal.accuracy:.2f}, κ {cal.kappa:.2f}; {cal.summary})"


def gate_command(
    run: Annotated[str, typer.Argument(help="Run id, id prefix, or 'latest'.")] = "latest",
    constitution: ConstitutionOption = None,
    json_out: JsonOption = False,
    markdown: Annotated[
        bool, typer.Option("--markdown", help="Print Markdown for a pull request.")
    ] = False,
    junit: Annotated[bool, typer.Option("--junit", help="Print JUnit XML for CI.")] = False,
    output: Annotated[
        list[Path] | None,
        typer.Option(
            "--output",
            "-o",
            help="Also write the decision to FILE (.json, .md, .xml or .html); repeatable.",
        ),
    ] = None,
    mkdir: MkdirOption = False,
    fail_on: Annotated[
        str, typer.Option(help="Exit 1 at 'block' (default) or already at 'warn'.")
    ] = "block",
    baseline: Annotated[
        str | None,
        typer.Option(
            help="Compare with this baseline run (default: the one registered for the "
            "run's target name, if any)."
        ),
    ] = None,
    baseline_name: Annotated[
        str | None,
        typer.Option("--baseline-name", help="Compare with deployment NAME's registered baseline."),
    ] = None,
    no_baseline: Annotated[
        bool, typer.Option("--no-baseline", help="Skip the regression comparison.")
    ] = False,
    redteam: Annotated[
        str | None,
        typer.Option(help="Red-team run (id, prefix or 'latest') for the `redteam` rule."),
    ] = None,
    agentic: Annotated[
        str | None,
        typer.Option(
            help="Agentic run (id, prefix or 'latest') for the `agentic` rule (default: the "
            "newest finished one of the run's target version)."
        ),
    ] = None,
    reward: Annotated[
        str | None,
        typer.Option(
            help="Reward audit (id, prefix or 'latest') for the `reward` rule (default: the "
            "newest finished audit of the principle's reward_model)."
        ),
    ] = None,
    capabilities: Annotated[
        Path | None,
        typer.Option(
            help="Judge the `capability` rule under this capabilities file instead of the one "
            "the capability run was measured under (say, safeguards raised since); its content "
            "hash is recorded in the decision's lineage."
        ),
    ] = None,
    store: StoreOption = None,
) -> None:
    """Decide PASS / WARN / BLOCK. Exit 0 pass (and warn), 1 block, 2 invalid input."""
    from safetyloop.api import gate
    from safetyloop.gate import Status, render
    from safetyloop.governance import env_clock

    if fail_on not in ("block", "warn"):
        raise InputError(f"--fail-on must be 'block' or 'warn', not {fail_on!r}")
    if sum((json_out, markdown, junit)) > 1:
        raise InputError("choose one of --json, --markdown and --junit")
    for path in output or []:
        if path.suffix not in _SUFFIX_FORMAT:
            raise InputError(
                f"cannot tell the format of {path}", hint="use .json, .md, .xml (JUnit) or .html"
            )
        output_folder(path, mkdir=mkdir)
    decision = gate(
        run,
        constitution=constitution,
        store_url=store,
        baseline=baseline,
        baseline_name=baseline_name,
        use_baseline=not no_baseline,
        clock=env_clock(),  # SAFETYLOOP_NOW simulates the time (governance SLAs, debt aging)
        redteam=redteam,
        agentic=agentic,
        reward=reward,
        capabilities=capabilities,
    )
    if json_out or markdown or junit:
        fmt = "json" if json_out else "markdown" if markdown else "junit"
        typer.echo(render(decision, fmt))
    else:
        console.print(_table(decision))
        for p in decision.principles:
            for c in p.criteria:
                console.print(Text(f"{p.id} {c.metric} scored by {_scorer_cell(c)}", "dim"))
        if decision.overridden:
            console.print(
                f"{decision.overridden} verdict(s) overridden by reviewers: their labels are "
                "counted, not the scorer's",
                markup=False,
            )
        for f in decision.findings:
            if f.status != Status.PASS:
                console.print(
                    Text.assemble(
                        (f.status.value, _STYLE[f.status.value]),
                        f" {f.principle}/{f.rule}: {f.message}",
                    )
                )
        console.print(
            Text.assemble("decision: ", (decision.decision.value, _STYLE[decision.decision.value]))
        )
    for path in output or []:
        path.write_text(render(decision, _SUFFIX_FORMAT[path.suffix]), encoding="utf-8")
        (console.print if not (json_out or markdown or junit) else _stderr)(
            f"wrote {path.resolve()}"
        )
    raise typer.Exit(decision.exit_code(Status.WARN if fail_on == "warn" else Status.BLOCK))


def _stderr(message: str) -> None:
    typer.echo(message, err=True)
