"""The report's plot: each measured figure with its interval against the claim's limit.

One panel per evidence source present (capability and sabotage first, as the risk report's
headline evidence; then the others), one row per metric: the point, its interval, and the
requirement's limit as a red tick. Rendered with matplotlib's Agg backend into PNG bytes that
the HTML embeds, so the report is one self-contained file.
"""

from __future__ import annotations

import io

from safetyloop.risk import RiskArgument

__all__ = ["plot_figures"]

_ORDER = ["capability", "sabotage", "agentic", "redteam", "gate"]
_BANDS = ("#2e7d32", "#ef6c00")  # rule-out, rule-in


def _rows(argument: RiskArgument) -> dict[str, list[tuple[str, float, float, float, float | None]]]:
    """Per source: (metric, value, low, high, limit) once per metric, worst limit kept."""
    panels: dict[str, dict[str, tuple[str, float, float, float, float | None]]] = {}
    for p in argument.pathways:
        for c in p.claims:
            for e in c.evidence:
                for f in e.figures:
                    row = (f.metric, f.value, f.low, f.high, e.limit)
                    panels.setdefault(f.source, {})[f.metric] = row
    ranked = sorted(panels, key=lambda s: (_ORDER.index(s) if s in _ORDER else len(_ORDER), s))
    return {s: sorted(panels[s].values()) for s in ranked}


def plot_figures(
    argument: RiskArgument, bands: dict[str, tuple[float, float]] | None = None
) -> bytes | None:
    """PNG bytes of the figures against their limits; None when nothing was measured.

    `bands`: per metric, a capability threshold's rule-out and rule-in limits, drawn as a
    green and an orange tick (below rule-out: ruled out; above rule-in: crossed)."""
    panels = _rows(argument)
    if not panels:
        return None
    # Imported here: matplotlib costs ~0.4 s that other commands should not pay.
    import matplotlib

    matplotlib.use("Agg")  # files only: never a window
    import matplotlib.pyplot as plt

    heights = [max(1.5, 0.45 * len(rows) + 1.1) for rows in panels.values()]
    fig, axes = plt.subplots(
        len(panels), 1, figsize=(8, sum(heights)), squeeze=False, height_ratios=heights
    )
    try:
        for ax, (source, rows) in zip(axes.flat, panels.items(), strict=True):
            ys = list(range(len(rows)))
            values = [r[1] for r in rows]
            errors = [[r[1] - r[2] for r in rows], [r[3] - r[1] for r in rows]]
            ax.errorbar(values, ys, xerr=errors, fmt="o", capsize=4, color="#1f4e79")
            for y, row in zip(ys, rows, strict=True):
                if row[4] is not None:
                    ax.plot([row[4], row[4]], [y - 0.35, y + 0.35], color="#c62828", lw=2)
                for limit, colour in zip((bands or {}).get(row[0], ()), _BANDS, strict=False):
                    ax.plot([limit, limit], [y - 0.3, y + 0.3], color=colour, lw=2, ls="--")
            ax.set_yticks(ys, [r[0] for r in rows], fontsize=8)
            ax.set_xlim(-0.02, 1.02)
            ax.set_ylim(-0.7, len(rows) - 0.3)
            ax.set_title(f"{source}: value with its 95% interval", fontsize=9)
            key = "red: the claim's limit"
            if source == "capability" and bands:
                key += "; dashed: the threshold's rule-out (green) and rule-in (orange)"
            ax.set_xlabel(key, fontsize=8)
            ax.grid(axis="x", alpha=0.3)
        fig.tight_layout()
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=110)
        return buffer.getvalue()
    finally:
        plt.close(fig)
