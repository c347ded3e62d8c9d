"""The root of the CLI: it only registers commands; each lives in its own module."""

from __future__ import annotations

import sys

import typer

from safetyloop.errors import InputError, SafetyloopError

from . import (
    _agent,
    _attest,
    _audit,
    _baseline,
    _capability,
    _compare,
    _debt,
    _exception,
    _gate,
    _history,
    _incident,
    _interop,
    _plan,
    _redteam,
    _report,
    _review,
    _reward,
    _run,
    _runs,
    _sabotage,
    _score,
    _scorers,
    _selfcheck,
    _serve,
    _suites,
    _validate,
)
from ._common import print_error, print_usage_error

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
# Agents (issue 14): tool use under prompt injection, scored from the state they leave.
app.add_typer(_agent.app, name="agent")
# Capability thresholds (issue 15): elicited capability against rule-out / rule-in limits.
app.add_typer(_capability.app, name="capability")
# Sabotage evaluations (issue 15): hidden side tasks, a monitor, evasion and monitor AUC.
app.add_typer(_sabotage.app, name="sabotage")
# Inspect interoperability (issue 19): its logs in as runs, runs out as its logs; re-scoring.
app.add_typer(_interop.import_app, name="import")
app.add_typer(_interop.export_app, name="export")
app.command("score")(_score.score_command)
# The risk report (issue 15): pathways argued from evidence, control attestations, critiques.
app.add_typer(_report.app, name="report")
app.add_typer(_attest.app, name="attest")
# Reward-model audit (issue 21): paired probes, flip rates with intervals, the offline model.
app.add_typer(_reward.app, name="reward")
# The web console (issue 16): pages over the same store and governance functions.
app.command("serve")(_serve.serve_command)
app.add_typer(_serve.users_app, name="user")


#: Exit code of a usage error or invalid input (an unknown option, a bad argument, a bad file).
USAGE_EXIT = 2


def main() -> None:
    """Entry point: errors print one plain message (and a hint), never a traceback.

    SafetyloopErrors exit with their own code; every usage error Typer raises (an unknown
    option, a missing or malformed argument, for any command) exits 2, like invalid input.
    """
    try:
        code = app(standalone_mode=False)
    except SafetyloopError as error:
        print_error(error)
        sys.exit(error.exit_code)
    except typer.TyperException as error:
        # `safetyloop debt` with no subcommand: Typer has printed the help already.
        if type(error).__name__ != "NoArgsIsHelpError":
            print_usage_error(error.format_message(), _command_path(error))
        sys.exit(USAGE_EXIT)
    except typer.Abort:
        sys.exit(130)
    except OSError as error:  # a file the user named cannot be read or written
        where = f"{error.filename}: " if error.filename else ""
        print_error(InputError(f"{where}{error.strerror or error}"))
        sys.exit(InputError.exit_code)
    sys.exit(code if isinstance(code, int) else 0)


def _command_path(error: Exception) -> str | None:
    """`safetyloop gate` for an error Typer raised while parsing that command, if it says."""
    ctx = getattr(error, "ctx", None)
    path = getattr(ctx, "command_path", None)
    return path if isinstance(path, str) else None
