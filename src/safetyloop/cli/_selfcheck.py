"""`safetyloop selfcheck stats|correction|truth`: the machinery proves itself — by simulation
where the truth is known, and against people's labels where it is not."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich import box
from rich.table import Table
from rich.text import Text

from ._common import ConstitutionOption, JsonOption, console

if TYPE_CHECKING:
    from safetyloop.truth import TruthReport

app = typer.Typer(help="Self-checks of the machinery.", no_args_is_help=True)


def _mark(ok: bool) -> Text:
    return Text("PASS", "bold green") if ok else Text("FAIL", "bold red")


@app.command("stats")
def stats_command(
    sims: Annotated[int, typer.Option("--sims", help="Simulations per check.", min=10)] = 2000,
    seed: Annotated[int, typer.Option(help="RNG seed (equal seeds, equal figures).")] = 0,
) -> None:
    """Simulate A/A gates, interval coverage and a planted regression; exit 1 if a bound fails."""
    from safetyloop.releases import selfcheck_stats

    r = selfcheck_stats(sims, seed)
    console.print(
        f"self-check of the statistics: {r.n_sims} simulations, seed {r.seed}, "
        f"one-sided alpha {r.alpha:g}"
    )
    console.print(
        _mark(r.false_block_ok),
        f"A/A false-BLOCK rate {r.false_block_rate:.4f} "
        f"<= {r.false_block_bound:.4f} (alpha {r.alpha:g} + 3 Monte-Carlo SE)",
    )
    console.print(
        _mark(r.coverage_ok),
        f"Wilson 95% coverage {r.coverage:.4f} (exact "
        f"{r.coverage_exact:.4f}) >= {r.coverage_bound:.2f}",
    )
    console.print(
        _mark(r.detection_ok),
        f"planted regression detected {r.detection_rate:.4f} "
        f">= {r.detection_bound:.4f} (planned power {r.planned_power:.2f} at n={r.planned_n} "
        "per arm − 3 Monte-Carlo SE)",
    )
    console.print("self-check:", _mark(r.ok))
    raise typer.Exit(0 if r.ok else 1)


@app.command("correction")
def correction_command(
    sims: Annotated[int, typer.Option("--sims", help="Simulations per grid cell.", min=10)] = 1000,
    draws: Annotated[
        int, typer.Option("--draws", help="Bootstrap draws per interval.", min=100)
    ] = 1000,
    seed: Annotated[int, typer.Option(help="RNG seed (equal seeds, equal figures).")] = 0,
    show_all: Annotated[bool, typer.Option("--all", help="Print every cell.")] = False,
) -> None:
    """Coverage of the Rogan–Gladen correction over rates, error rates, calibration sizes and
    between-model shift; exit 1 if a cell covers less than 94% (beyond Monte-Carlo noise)."""
    from safetyloop.stats import correction_coverage

    r = correction_coverage(sims, seed, draws=draws)
    console.print(
        f"self-check of the scorer-error correction: {len(r.cells)} cells × {r.n_sims} "
        f"simulations, runs of {r.run_size}, seed {r.seed}"
    )
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for column in (
        "true rate",
        "sens",
        "spec",
        "calib rows",
        "models",
        "shift",
        "coverage",
        "width",
    ):
        table.add_column(column, justify="right")
    cells = r.cells if show_all else sorted(r.cells, key=lambda c: c.coverage)[:10]
    for c in cells:
        table.add_row(
            f"{c.rate:g}",
            f"{c.sensitivity:g}",
            f"{c.specificity:g}",
            str(c.calibration_rows),
            str(c.models),
            f"{c.shift:g}",
            f"{c.coverage:.3f} ± {c.mc_se:.3f}",
            f"{c.mean_width:.3f}",
        )
    if not show_all:
        console.print("the 10 cells with the lowest coverage:")
    console.print(table)
    worst = r.worst
    console.print(
        _mark(r.ok),
        f"worst coverage {worst.coverage:.3f} ± {worst.mc_se:.3f} against the floor "
        f"{r.floor:.2f}: {len(r.under_floor)} of {len(r.cells)} cells under it, "
        f"{len(r.failing)} significantly (binomial test, Holm-adjusted over the cells)",
    )
    raise typer.Exit(0 if r.ok else 1)


def _truth_table(report: TruthReport) -> Table:
    """Per model and principle: the decision on raw scorer verdicts, on corrected ones (what
    the gate decides), and on people's labels, each with its rate and interval."""
    table = Table(
        title="gate decisions from scorer verdicts and from people's labels",
        caption="raw: scorer verdicts as they are; corrected: with the scorer's calibration "
        "record applied, as the gate decides; =: the same decision as on people's labels",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    for column in ("model", "verdicts", "n", "rate [95% interval]", "decision", "="):
        table.add_column(column, no_wrap=True, justify="right" if column == "n" else "left")
    for m in report.models:
        for c in m.criteria:
            sides = (
                ("raw", c.raw, c.raw_agrees),
                ("corrected", c.corrected, c.agrees),
                ("people", c.human, None),
            )
            heads = (f"{m.model} {c.principle}", c.metric, "")
            for head, (what, side, same) in zip(heads, sides, strict=True):
                mark = "" if same is None else ("yes" if same else "NO")
                table.add_row(
                    head,
                    what,
                    str(side.n),
                    f"{side.rate:.3f} [{side.low:.3f}, {side.high:.3f}]",
                    side.status,
                    Text(mark, "green" if same else "bold red"),
                )
            table.add_section()
    return table


@app.command("truth")
def truth_command(
    labels: Annotated[
        list[Path] | None,
        typer.Option(
            "--labels",
            help="Human-labelled answers (JSONL/CSV with id or prompt, response, label, model; "
            "or an XSTest completions CSV); repeatable. Default: the shipped XSTest "
            "completions of three models.",
        ),
    ] = None,
    constitution: ConstitutionOption = None,
    json_out: JsonOption = False,
    store: Annotated[
        str | None,
        typer.Option("--store", help="Keep the runs in this store (default: a temporary one)."),
    ] = None,
) -> None:
    """Gate each model's recorded answers on scorer verdicts and on people's labels; exit 1 when
    a decision differs."""
    from safetyloop.truth import truth_check

    report = truth_check(labels, constitution=constitution, store_url=store)
    if json_out:
        body = {
            "ok": report.ok,
            "decisions": report.decisions,
            "equal_to_people": "scorer, corrected (as the gate decides)",
            "agreeing": report.agreeing,
            "raw_agreeing": report.raw_agreeing,
            "constitution": report.constitution,
            "models": [asdict(m) for m in report.models],
        }
        typer.echo(json.dumps(body, indent=2))
    else:
        console.print(_truth_table(report))
        seen: set[str] = set()
        for m in report.models:
            for c in m.criteria:
                if c.scorer not in seen:
                    seen.add(c.scorer)
                    console.print(Text(f"{c.scorer}: {c.calibration}", "dim"))
        left_out = sorted({s for m in report.models for c in m.criteria for s in c.left_out})
        if left_out:
            console.print(
                Text(
                    "each model is corrected with a record that leaves out its own answers "
                    f"({', '.join(left_out)})",
                    "dim",
                )
            )
        console.print(
            f"decisions equal to people's: {report.agreeing}/{report.decisions} corrected "
            f"(as the gate decides), {report.raw_agreeing}/{report.decisions} raw"
        )
        console.print("truth check:", _mark(report.ok))
    raise typer.Exit(0 if report.ok else 1)
