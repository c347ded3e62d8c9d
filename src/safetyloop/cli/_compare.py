"""`safetyloop compare BASE CANDIDATE`: paired and unpaired regressions, Holm-adjusted."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.text import Text

from ._common import ConstitutionOption, JsonOption, StoreOption, console
from ._stats_views import comparison_table


def compare_command(
    baseline: Annotated[str, typer.Argument(help="Baseline run id, prefix or 'latest'.")],
    candidate: Annotated[str, typer.Argument(help="Candidate run id, prefix or 'latest'.")],
    constitution: ConstitutionOption = None,
    json_out: JsonOption = False,
    store: StoreOption = None,
) -> None:
    """Compare CANDIDATE with BASELINE per principle and category.

    Paired on the cases both ran (McNemar exact + Tango non-inferiority), unpaired otherwise
    (Newcombe), with each criterion's regression_margin, Holm-adjusted across the family.
    Exit 1 when any test finds a significant regression.
    """
    from safetyloop.releases import compare

    report = compare(baseline, candidate, constitution=constitution, store_url=store)
    if json_out:
        typer.echo(report.model_dump_json(indent=2))
    else:
        console.print(comparison_table(report))
        for note in report.notes:
            console.print(Text.assemble(("note", "yellow"), f" {note}"))
    raise typer.Exit(1 if any(t.verdict == "regression" for t in report.tests) else 0)
