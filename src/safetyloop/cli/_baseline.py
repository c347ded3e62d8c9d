"""`safetyloop baseline set|show|list`: the run each deployment's next release is compared with."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from ._common import StoreOption, console

app = typer.Typer(
    help="Baselines: the run a deployment's releases are compared with.", no_args_is_help=True
)


@app.command("set")
def set_command(
    run: Annotated[str, typer.Argument(help="Run id, prefix or 'latest' (must be finished).")],
    name: Annotated[
        str | None, typer.Option(help="Deployment name (default: the run's target name).")
    ] = None,
    store: StoreOption = None,
) -> None:
    """Register RUN as the deployment's baseline; `safetyloop gate` then compares with it."""
    from safetyloop.releases import set_baseline

    info = set_baseline(run, name=name, store_url=store)
    console.print(
        Text.assemble(
            "baseline of ",
            (info.name, "bold"),
            f" is now run {info.run_id} (target {info.target_name})",
        )
    )


@app.command("show")
def show_command(
    name: Annotated[str, typer.Argument(help="Deployment name.")],
    store: StoreOption = None,
) -> None:
    """The run registered as deployment NAME's baseline."""
    from safetyloop.releases import get_baseline

    info = get_baseline(name, store_url=store)
    console.print(
        f"{info.name}: run {info.run_id} (target {info.target_name}, set "
        f"{info.set_at:%Y-%m-%d %H:%M:%S})"
    )


@app.command("list")
def list_command(store: StoreOption = None) -> None:
    """Every registered baseline."""
    from safetyloop.releases import list_baselines

    table = Table(title="baselines")
    for column in ("deployment", "run", "target", "set"):
        table.add_column(column)
    for b in list_baselines(store_url=store):
        table.add_row(b.name, b.run_id, b.target_name, f"{b.set_at:%Y-%m-%d %H:%M:%S}")
    console.print(table)
