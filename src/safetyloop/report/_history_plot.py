"""The history plot: each criterion's rate with its interval across releases, and its trend."""

from __future__ import annotations

import math
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from safetyloop.releases import History

_FORMATS = {".png", ".svg"}


def plot_history(history: History, path: Path) -> Path:
    """Write one panel per criterion: rates with intervals, the threshold, the fitted trend.

    The fitted curve is the logistic trend of the violation rate (for a `min` criterion, shown
    as the metric itself); its dashed extension to the projected crossing is a warning light,
    not a forecast.
    """
    if path.suffix.lower() not in _FORMATS:
        raise ValueError(f"plot format must be .png or .svg, not {path.suffix or 'none'}")
    # Imported here, not at module level: matplotlib costs ~0.4 s that every other CLI command
    # would pay, and choosing a backend is a side effect that belongs to the call.
    import matplotlib

    matplotlib.use("Agg")  # files only: never a window, never a display server
    import matplotlib.pyplot as plt

    panels = history.series or []
    cols = 1 if len(panels) <= 1 else 2
    rows = max(1, math.ceil(len(panels) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(6.5 * cols, 3.6 * rows), squeeze=False)
    try:
        for ax, series in zip(axes.flat, panels, strict=False):
            x = list(range(1, len(series.points) + 1))
            rates = [p.rate for p in series.points]
            lows = [max(0.0, p.rate - p.low) for p in series.points]
            highs = [max(0.0, p.high - p.rate) for p in series.points]
            ax.errorbar(
                x,
                rates,
                yerr=[lows, highs],
                fmt="o",
                capsize=4,
                color="#1f4e79",
                label="rate with interval",
            )
            ax.axhline(series.threshold, color="#c62828", linestyle=":", label="threshold")
            trend = series.trend
            if trend is not None and trend.estimable:
                last = float(len(series.points))
                end = last
                if series.crossing_release is not None and series.crossing_release > last:
                    end = min(series.crossing_release, last + 10.0)
                xs = [1.0 + i * (end - 1.0) / 100 for i in range(101)]
                fitted = [
                    1.0 / (1.0 + math.exp(-(trend.intercept + trend.slope * (v - 1.0)))) for v in xs
                ]
                if series.comparison == "min":
                    fitted = [1.0 - f for f in fitted]
                ax.plot(
                    xs,
                    fitted,
                    "--",
                    color="#555555",
                    label=f"trend (slope {trend.slope:+.2f}/release)",
                )
                ax.set_xlim(0.5, end + 0.5)
            elif series.note:  # say why there is no trend line, as the CLI does
                ax.text(
                    0.98,
                    0.98,
                    textwrap.fill(f"trend cannot be estimated: {series.note}", 48),
                    transform=ax.transAxes,
                    ha="right",
                    va="top",
                    fontsize=6,
                    color="#555555",
                    bbox={"facecolor": "white", "alpha": 0.85, "edgecolor": "none"},
                )
            ax.set_title(f"{series.principle} · {series.metric}", fontsize=10)
            ax.set_xlabel("release (oldest first)")
            ax.set_ylabel("rate")
            ax.set_xticks(x, [p.run_id[:6] for p in series.points], rotation=45, fontsize=7)
            ax.set_ylim(
                0.0,
                min(1.0, max([*[p.high for p in series.points], series.threshold]) * 1.2 + 0.02),
            )
            ax.legend(fontsize=7, loc="upper left")
        for ax in list(axes.flat)[len(panels) :]:
            ax.axis("off")
        fig.suptitle(f"history of {history.deployment}", fontsize=11)
        fig.tight_layout()
        fig.savefig(path, dpi=110)
    finally:
        plt.close(fig)
    return path
