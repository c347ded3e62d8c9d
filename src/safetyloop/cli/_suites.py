"""`safetyloop suites list|show`."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from ._common import console

app = typer.Typer(help="Bundled and user suites.", no_args_is_help=True)


@app.command("list")
def list_suites() -> None:
    """List the bundled and plugin suites with their size, version and licence."""
    from safetyloop.suites import load_suite, suite_info

    table = Table(title="suites")
    for column in ("name", "cases", "categories", "version", "licence", "source"):
        table.add_column(column)
    for info in suite_info():
        suite = load_suite(info.name)
        table.add_row(
            info.name,
            str(len(suite.cases)),
            str(len(suite.categories())),
            suite.version[:12],
            info.license,
            info.source,
        )
    console.print(table)


@app.command("show")
def show(
    name: Annotated[str, typer.Argument(help="A suite name or a user suite file.")],
    examples: Annotated[int, typer.Option(help="How many example cases to print.")] = 5,
    seed: Annotated[int, typer.Option(help="Seed for picking the examples.")] = 0,
) -> None:
    """Show a suite's description, version, categories and a few cases."""
    from safetyloop.suites import load_suite, stratified_sample

    suite = load_suite(name)
    console.print(Text.assemble((suite.name, "bold"), f" — {suite.description}"))
    console.print(
        f"version {suite.version}  ·  {len(suite.cases)} cases  ·  licence "
        f"{suite.license}  ·  source {suite.source}"
    )
    table = Table(title="categories")
    table.add_column("category")
    table.add_column("cases", justify="right")
    for category, count in suite.categories().items():
        table.add_row(category, str(count))
    console.print(table)
    for case in stratified_sample(suite.cases, examples, seed):
        console.print(
            Text.assemble(
                (case.key, "dim"), f" [{case.category}, {case.expected}] {case.prompt[:160]}"
            )
        )
