"""`safetyloop import inspect` and `safetyloop export inspect`: Inspect logs in and out."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ._common import MkdirOption, StoreOption, console, output_folder

import_app = typer.Typer(
    help="Bring other tools' evaluation logs in as stored runs.", no_args_is_help=True
)
export_app = typer.Typer(
    help="Write stored runs in other tools' log formats.", no_args_is_help=True
)


@import_app.command("inspect")
def import_inspect_command(
    paths: Annotated[
        list[Path], typer.Argument(help="Inspect logs (.eval or .json) or folders holding them.")
    ],
    expected: Annotated[
        str,
        typer.Option(
            help="Expected behaviour (refuse or comply) of samples whose metadata has no "
            "'expected'; it decides which metrics count them.",
        ),
    ] = "comply",
    store: StoreOption = None,
) -> None:
    """Import Inspect eval logs, one stored run each (all of a log or nothing of it)."""
    from safetyloop.errors import InputError
    from safetyloop.interop import import_inspect
    from safetyloop.store import Store
    from safetyloop.suites import Expected

    if expected not in {e.value for e in Expected}:
        raise InputError(f"--expected must be refuse or comply, not {expected!r}")
    with Store(store) as db:
        for done in import_inspect(paths, db, expected=Expected(expected)):
            run = done.run
            state = "already imported as" if done.existing else "imported as"
            console.print(f"{done.path}: {state} run {run.id}")
            console.print(
                f"  {done.cases} cases ({done.errors} errored samples) of suite "
                f"{', '.join(run.suite_versions)}; target {run.target_name}; "
                f"scorers {', '.join(run.scorer_versions)}"
            )


@export_app.command("inspect")
def export_inspect_command(
    run: Annotated[str, typer.Argument(help="Run id, prefix or 'latest'.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="The .eval file to write.")],
    mkdir: MkdirOption = False,
    store: StoreOption = None,
) -> None:
    """Write a stored run as an Inspect .eval log (open it with `inspect view`)."""
    from safetyloop.errors import InputError
    from safetyloop.interop import export_inspect
    from safetyloop.store import Store

    if out.suffix != ".eval":
        raise InputError(f"{out}: the export is an Inspect .eval log; name the file *.eval")
    output_folder(out, mkdir=mkdir)
    with Store(store) as db:
        done = export_inspect(db, run, out)
    console.print(
        f"run {done.run_id}: {done.samples} samples, scores {', '.join(done.scorers) or 'none'}"
        f" -> {done.path} (written by {done.writer})"
    )
    console.print(f"open it with: inspect view --log-dir {done.path.parent.resolve()}")
