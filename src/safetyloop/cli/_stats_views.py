"""Rich renderings of the gate's statistics, shared by `gate`, `compare`, `plan` and `history`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich import box
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:
    from safetyloop.gate import ComparisonTest, CriterionResult, RegressionReport

VERDICT_STYLE = {
    "regression": "bold red",
    "non-inferior": "bold green",
    "inconclusive": "bold yellow",
}


def method_note(c: CriterionResult) -> str:
    """Blank for plain Wilson; otherwise how the interval was made (cluster bootstrap, RG)."""
    kinds = [a.kind for a in c.adjustments]
    parts = (["cluster bootstrap"] if "cluster-bootstrap" in kinds else []) + (
        ["RG-corrected"] if "rogan-gladen" in kinds else []
    )
    return f" ({', '.join(parts)})" if parts else ""


def comparison_rows(table: Table, tests: list[ComparisonTest]) -> None:
    """One row per test into a table with the columns of `comparison_table`."""
    for t in tests:
        where = t.metric if t.category is None else f"  {t.category}"
        table.add_row(
            t.principle if t.category is None else "",
            where,
            f"{t.baseline_rate:.3f} ({t.baseline_events}/{t.baseline_n})",
            f"{t.candidate_rate:.3f} ({t.candidate_events}/{t.candidate_n})",
            f"{t.difference:+.3f} [{t.low:+.3f}, {t.high:+.3f}]",
            f"{t.margin:g}",
            f"paired {t.shared_cases}" if t.paired else "unpaired",
            f"{t.p_adjusted:.3g}",
            Text.assemble(
                (t.verdict, VERDICT_STYLE[t.verdict]),
                f" (need ~{t.needed_per_arm}/arm)" if t.needed_per_arm else "",
            ),
        )


def comparison_table(report: RegressionReport) -> Table:
    """The candidate-versus-baseline family, Holm-adjusted."""
    table = Table(
        title=f"compare {report.baseline_run} (baseline) → {report.candidate_run} (candidate)",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        caption=f"violation rates; difference = candidate − baseline with its "
        f"{1 - 2 * report.alpha:.0%} interval; p Holm-adjusted over {report.family_size} tests",
    )
    for column in (
        "id",
        "metric / category",
        "baseline",
        "candidate",
        "difference",
        "margin",
        "design",
        "p (Holm)",
        "verdict",
    ):
        table.add_column(column, no_wrap=True)
    comparison_rows(table, report.tests)
    return table
