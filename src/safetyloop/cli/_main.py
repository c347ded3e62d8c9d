"""The root of the CLI: it only registers commands; each lives in its own module."""

from __future__ import annotations

import sys

import click
import typer

from safetyloop.cli import _gate, _run, _runs, _suites, _validate
from safetyloop.cli._common import print_error
from safetyloop.errors import SafetyloopError

app = typer.Typer(
    name="safetyloop",
    help="Closed-loop safety: constitution → evaluation → statistics → release gate.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.command("validate")(_validate.validate)
app.command("run")(_run.run_command)
app.command("gate")(_gate.gate_command)
app.add_typer(_suites.app, name="suites")
app.add_typer(_runs.app, name="runs")


def main() -> None:
    """Entry point: SafetyloopErrors print message and hint, and exit with their code."""
    try:
        code = app(standalone_mode=False)
    except SafetyloopError as error:
        print_error(error)
        sys.exit(error.exit_code)
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    except click.exceptions.Abort:
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)
