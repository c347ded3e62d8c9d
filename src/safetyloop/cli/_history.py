"""`safetyloop history`: each principle's rate across releases, its trend and a plot."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich import box
from rich.table import Table

from safetyloop.errors import InputError

from ._common import ConstitutionOption, MkdirOption, StoreOption, console, output_folder

if TYPE_CHECKING:
    from safetyloop.releases import History, HistorySeries


def _trend_text(s: HistorySeries) -> str:
    t = s.trend
    if t is None or not t.estimable:
        return f"trend cannot be estimated: {s.note}"
    text = (
        f"slope {t.slope:+.3f} log-odds/release [{t.slope_low:+.3f}, {t.slope_high:+.3f}], "
        f"p={t.p_value:.3g}"
    )
    ahead = s.releases_until_crossing
    if ahead is None:
        return f"{text}; the fitted rate does not rise toward the threshold"
    if ahead <= 0:
        return f"{text}; the fitted rate is already past the threshold"
    return (
        f"{text}; projected to cross the threshold at release {s.crossing_release:.1f} "
        f"({ahead:.1f} releases after the latest)"
    )


def history_table(h: History) -> Table:
    table = Table(
        title=f"history of {h.deployment} (target {h.target_name}), oldest first",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    table.add_column("release", no_wrap=True)
    table.add_column("run", no_wrap=True)
    table.add_column("created", no_wrap=True)
    for s in h.series:
        table.add_column(
            f"{s.principle} {s.metric} ({'<' if s.comparison == 'max' else '>'} {s.threshold:g})",
            no_wrap=True,
        )
    for i, run in enumerate(h.runs):
        cells = [
            f"{s.points[i].rate:.3f} [{s.points[i].low:.3f}, {s.points[i].high:.3f}] "
            f"n={s.points[i].n}"
            for s in h.series
        ]
        table.add_row(str(i + 1), run.id, f"{run.created_at:%Y-%m-%d %H:%M}", *cells)
    return table


def history_command(
    deployment: Annotated[
        str | None,
        typer.Option(
            help="Deployment (baseline name) or target name; default: the latest run's target."
        ),
    ] = None,
    plot: Annotated[
        Path | None, typer.Option(help="Write a plot to this .png or .svg file.")
    ] = None,
    mkdir: MkdirOption = False,
    constitution: ConstitutionOption = None,
    store: StoreOption = None,
) -> None:
    """Rates with intervals across a deployment's releases, the trend test and its projection."""
    from safetyloop.releases import history
    from safetyloop.report import plot_history

    if plot is not None and plot.suffix.lower() not in (".png", ".svg"):
        raise InputError(f"cannot plot to {plot}", hint="use a .png or .svg file")
    if plot is not None:
        output_folder(plot, mkdir=mkdir)
    h = history(deployment, constitution=constitution, store_url=store)
    console.print(history_table(h))
    for s in h.series:
        console.print(f"{s.principle} {s.metric}: {_trend_text(s)}", markup=False)
    if plot is not None:
        console.print(f"wrote {plot_history(h, plot).resolve()}")
