"""`safetyloop selfcheck stats`: the statistics prove themselves by simulation."""

from __future__ import annotations

from typing import Annotated

import typer

from safetyloop.cli._common import console
from safetyloop.releases import selfcheck_stats

app = typer.Typer(help="Self-checks of the machinery.", no_args_is_help=True)


def _mark(ok: bool) -> str:
    return "[bold green]PASS[/]" if ok else "[bold red]FAIL[/]"


@app.command("stats")
def stats_command(
    sims: Annotated[int, typer.Option("--sims", help="Simulations per check.", min=10)] = 2000,
    seed: Annotated[int, typer.Option(help="RNG seed (equal seeds, equal figures).")] = 0,
) -> None:
    """Simulate A/A gates, interval coverage and a planted regression; exit 1 if a bound fails."""
    r = selfcheck_stats(sims, seed)
    console.print(
        f"self-check of the statistics: {r.n_sims} simulations, seed {r.seed}, "
        f"one-sided alpha {r.alpha:g}"
    )
    console.print(
        f"{_mark(r.false_block_ok)} A/A false-BLOCK rate {r.false_block_rate:.4f} "
        f"<= {r.false_block_bound:.4f} (alpha {r.alpha:g} + 3 Monte-Carlo SE)"
    )
    console.print(
        f"{_mark(r.coverage_ok)} Wilson 95% coverage {r.coverage:.4f} (exact "
        f"{r.coverage_exact:.4f}) >= {r.coverage_bound:.2f}"
    )
    console.print(
        f"{_mark(r.detection_ok)} planted regression detected {r.detection_rate:.4f} "
        f">= {r.detection_bound:.4f} (planned power {r.planned_power:.2f} at n={r.planned_n} "
        "per arm − 3 Monte-Carlo SE)"
    )
    console.print(f"self-check: {_mark(r.ok)}")
    raise typer.Exit(0 if r.ok else 1)
