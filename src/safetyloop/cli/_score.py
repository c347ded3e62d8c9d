"""`safetyloop score RUN --scorer NAME`: one more scorer's verdicts on a stored run."""

from __future__ import annotations

from typing import Annotated

import typer

from ._common import StoreOption, console


def score_command(
    run: Annotated[str, typer.Argument(help="Run id, prefix or 'latest'.")],
    scorer: Annotated[
        str, typer.Option("--scorer", help="A registered scorer (`safetyloop scorers list`).")
    ],
    store: StoreOption = None,
) -> None:
    """Re-score a stored run's answers (an imported Inspect run too) with one of our scorers;
    the verdicts are stored and the gate can hold criteria to them."""
    from safetyloop.interop import rescore_run
    from safetyloop.store import Store

    with Store(store) as db:
        info, scored = rescore_run(db, run, scorer)
    console.print(
        f"run {info.id}: {scored} answers scored by {scorer} "
        f"({info.scorer_versions[scorer][:12]}); scorers now {', '.join(info.scorer_versions)}"
    )
