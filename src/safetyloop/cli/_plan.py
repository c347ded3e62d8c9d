"""`safetyloop plan`: the cases each principle needs, before anything runs."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich import box
from rich.table import Table
from rich.text import Text

from ._common import ConstitutionOption, JsonOption, StoreOption, console

if TYPE_CHECKING:
    from safetyloop.releases import PowerPlan, SuiteSample

ExpectedOption = Annotated[
    list[str] | None,
    typer.Option(
        "--expected",
        "-e",
        help="Expected rate of a principle (C1=0.02) or criterion (H1.over_refusal=0.05); "
        "repeatable. Default: the baseline's observed rate, else halfway to the threshold.",
    ),
]


def plan_table(plan: PowerPlan) -> Table:
    """Per criterion: the expected rate and the scored cases needed (and per arm, with a base)."""
    table = Table(
        title=f"plan for {plan.constitution.name} at {plan.power:.0%} power, "
        f"{plan.constitution.confidence:.0%} intervals",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    for column in ("id", "metric", "limit", "expected", "from", "cases needed", "power"):
        table.add_column(column, no_wrap=True)
    if plan.baseline_run:
        table.add_column("margin")
        table.add_column("per arm: clear")
        table.add_column("per arm: detect +Δ")
    table.add_column("note")
    for c in plan.criteria:
        row = [
            c.principle,
            c.metric,
            f"{'<' if c.comparison == 'max' else '>'} {c.threshold:g}",
            f"{c.expected_rate:.3f}",
            c.rate_source,
            "—" if c.needed is None else str(c.needed),
            "—" if c.power is None else f"{c.power:.2f}",
        ]
        if plan.baseline_run:
            row += [
                f"{c.margin:g}",
                "—" if c.clear_per_arm is None else str(c.clear_per_arm),
                "—"
                if c.detect_per_arm is None
                else f"{c.detect_per_arm} (Δ={c.detect_difference:g})",
            ]
        table.add_row(*row, c.note)
    return table


def samples_table(samples: dict[str, SuiteSample]) -> Table:
    table = Table(title="cases to draw per suite", box=box.SIMPLE_HEAD, pad_edge=False)
    for column in ("suite", "sample", "of", "driven by", ""):
        table.add_column(column)
    for s in samples.values():
        table.add_row(
            s.suite,
            str(s.sample),
            str(s.size),
            s.driven_by,
            Text("suite too small for the plan", "yellow") if s.short else "",
        )
    return table


def plan_json(plan: PowerPlan, samples: dict[str, SuiteSample]) -> dict[str, Any]:
    return {
        "constitution": plan.constitution.name,
        "constitution_hash": plan.constitution.content_hash(),
        "confidence": plan.constitution.confidence,
        "power": plan.power,
        "alpha": plan.alpha,
        "baseline_run": plan.baseline_run,
        "criteria": [asdict(c) for c in plan.criteria],
        "suite_samples": {name: asdict(s) for name, s in samples.items()},
    }


def plan_command(
    constitution: ConstitutionOption = None,
    expected: ExpectedOption = None,
    baseline: Annotated[
        str | None,
        typer.Option(
            help="A stored run: its observed rates are expected, and the comparison "
            "with it is sized too."
        ),
    ] = None,
    power: Annotated[float, typer.Option(help="Power to PASS at the expected rate.")] = 0.8,
    detect: Annotated[
        float | None,
        typer.Option(
            help="True increase the baseline comparison must detect "
            "(default: twice the margin, at least 0.02)."
        ),
    ] = None,
    json_out: JsonOption = False,
    store: StoreOption = None,
) -> None:
    """How many scored cases each principle needs so a release at the expected rate PASSes.

    Sized with exact binomial power for the gate's own rule (Wilson upper bound under the
    threshold); with --baseline also the cases per arm for the regression comparison.
    """
    from safetyloop.releases import parse_expected, power_plan, suite_samples

    plan = power_plan(
        constitution,
        expected=parse_expected(expected or []),
        baseline=baseline,
        power=power,
        detect=detect,
        store_url=store,
    )
    samples = suite_samples(plan)
    if json_out:
        typer.echo(json.dumps(plan_json(plan, samples), indent=2))
        return
    console.print(plan_table(plan))
    console.print(samples_table(samples))
    console.print(
        f"next: safetyloop run --plan-power {power:g}"
        + "".join(f" --expected {e}" for e in expected or [])
    )
