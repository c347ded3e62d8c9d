"""Shared CLI pieces: options declared once (with their SAFETYLOOP_* variables), the console,
error printing.

Nothing here imports a stage: `safetyloop --help` loads only Typer and Rich.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.text import Text

from safetyloop._redact import redact
from safetyloop.errors import ConfigError, InputError, SafetyloopError

# Markup off: text a user gave (a run id, a name, a message) is printed as it is; styled output
# is built from `rich.text.Text`, never from markup tags around interpolated text.
console = Console(highlight=False, markup=False)
err_console = Console(stderr=True, highlight=False, markup=False)

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

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
TimeoutOption = Annotated[float, typer.Option(help="Seconds per request.", min=0.1)]
MaxTokensOption = Annotated[int, typer.Option(help="Tokens generated per answer.", min=1)]


MkdirOption = Annotated[
    bool, typer.Option("--mkdir", help="Create the output file's missing folders.")
]


def output_folder(path: Path, *, mkdir: bool) -> None:
    """Check, before anything runs, that an output file's folder exists (creating it only with
    `--mkdir`): a mistyped path should fail at once, not scatter folders anywhere on disk."""
    folder = path.parent
    if folder.is_dir():
        return
    if not mkdir:
        raise InputError(
            f"cannot write {path}: folder {folder} does not exist (create it or pass --mkdir)"
        )
    folder.mkdir(parents=True, exist_ok=True)


def print_error(error: SafetyloopError) -> None:
    """Message, every problem, and the hint — no traceback. User text is never markup, and a
    message quoting a target spec shows no credentials (`safetyloop._redact`)."""
    message = redact(error.message)
    err_console.print(Text.assemble(("error:", "bold red"), " ", message), soft_wrap=True)
    if isinstance(error, ConfigError):
        for problem in error.problems:
            err_console.print(Text(f"  {redact(problem)}"), soft_wrap=True)
    if error.hint:
        err_console.print(Text.assemble(("hint:", "dim"), " ", error.hint), soft_wrap=True)


def print_usage_error(message: str, command: str | None) -> None:
    """A usage error on one line, with where to read the usage; the text is never markup."""
    where = f" (see `{command} --help`)" if command else ""
    line = " ".join(f"{message}{where}".split())  # one line, however the parser wrapped it
    err_console.print(Text.assemble(("error:", "bold red"), " ", line), soft_wrap=True)


def split_csv(value: str) -> list[str]:
    """A comma-separated option as its non-empty, stripped parts."""
    return [part.strip() for part in value.split(",") if part.strip()]
