"""Shared CLI pieces: options with SAFETYLOOP_* variables, the console, error printing."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from safetyloop.errors import ConfigError, SafetyloopError

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)

StoreOption = Annotated[
    str | None,
    typer.Option(
        "--store",
        envvar="SAFETYLOOP_STORE_URL",
        help="Database URL (default: sqlite in ./.safetyloop/safetyloop.db).",
    ),
]
ConstitutionOption = Annotated[
    Path | None,
    typer.Option(
        "--constitution",
        "-c",
        envvar="SAFETYLOOP_CONSTITUTION",
        exists=False,
        help="Constitution YAML (default: the bundled one).",
    ),
]
TargetsFileOption = Annotated[
    Path | None,
    typer.Option(
        "--targets-file",
        envvar="SAFETYLOOP_TARGETS_FILE",
        help="YAML file declaring named targets.",
    ),
]


def print_error(error: SafetyloopError) -> None:
    """Message, every problem, and the hint — no traceback."""
    err_console.print(f"[bold red]error:[/] {error.message}", markup=True, soft_wrap=True)
    if isinstance(error, ConfigError):
        for problem in error.problems:
            err_console.print(f"  {problem}", markup=False, soft_wrap=True)
    if error.hint:
        err_console.print(f"[dim]hint:[/] {error.hint}", markup=True)


def split_csv(value: str) -> list[str]:
    """A comma-separated option as its non-empty, stripped parts."""
    return [part.strip() for part in value.split(",") if part.strip()]
