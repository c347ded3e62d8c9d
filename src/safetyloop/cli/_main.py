"""The root of the CLI: it only registers commands; each lives in its own module."""

from __future__ import annotations

import sys

import click
import typer

from safetyloop.cli import (
    _audit,
    _baseline,
    _compare,
    _debt,
    _exception,
    _gate,
    _history,
    _incident,
    _plan,
    _redteam,
    _review,
    _run,
    _runs,
    _scorers,
    _selfcheck,
    _suites,
    _validate,
)
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
app.add_typer(_scorers.app, name="scorers")
app.command("calibrate")(_scorers.calibrate_command)
# Statistics across releases (issue 3): plan, baselines, comparisons, history, self-check.
app.command("plan")(_plan.plan_command)
app.add_typer(_baseline.app, name="baseline")
app.command("compare")(_compare.compare_command)
app.command("history")(_history.history_command)
app.add_typer(_selfcheck.app, name="selfcheck")
app.add_typer(_audit.app, name="audit")
# Governance (issue 6): review queue, debt ledger, exceptions.
app.add_typer(_review.app, name="review")
app.add_typer(_debt.app, name="debt")
app.add_typer(_exception.app, name="exception")
# Red teaming (issue 5): transforms, multi-turn attacker loops, grid.
app.add_typer(_redteam.app, name="redteam")
# Incident lab (issue 7): add, triage, promote, replay, blast radius, close.
app.add_typer(_incident.app, name="incident")


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
