"""Releases of a deployment: baselines, candidate-versus-baseline comparisons, history, self-check.

A *deployment* is a name for what runs in production (by default the target's name); its
baseline is the run the next release is compared with.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from safetyloop.api import evidence_for, load_constitution_checked
from safetyloop.config import Comparison, Constitution
from safetyloop.errors import InputError
from safetyloop.gate import RegressionReport, compare_evidence
from safetyloop.gate._criteria import measure
from safetyloop.stats import SelfCheckReport, TrendResult, selfcheck, trend_test
from safetyloop.store import BaselineInfo, RunInfo, Store

__all__ = [
    "History",
    "HistoryPoint",
    "HistorySeries",
    "compare",
    "get_baseline",
    "history",
    "list_baselines",
    "selfcheck_stats",
    "set_baseline",
]


def set_baseline(
    run_ref: str, *, name: str | None = None, store_url: str | None = None
) -> BaselineInfo:
    """Register a finished run as deployment `name`'s baseline (default: its target name).

    The gate then compares every later run of that target with it (rule `regression`).
    """
    with Store(store_url) as store:
        info = store.get_run(run_ref)
        return store.set_baseline(name or info.target_name, info.id)


def get_baseline(name: str, *, store_url: str | None = None) -> BaselineInfo:
    """Deployment `name`'s baseline; InputError (exit 2) when none is registered."""
    with Store(store_url) as store:
        found = store.get_baseline(name)
    if found is None:
        raise InputError(
            f"no baseline is registered for deployment {name!r}",
            hint="register one with `safetyloop baseline set RUN --name NAME`",
        )
    return found


def list_baselines(*, store_url: str | None = None) -> list[BaselineInfo]:
    """Every registered baseline, by deployment name."""
    with Store(store_url) as store:
        return store.list_baselines()


def _constitution_of(store: Store, run_id: str, path: Path | None) -> Constitution:
    if path is not None:
        return load_constitution_checked(path)
    return Constitution.model_validate(store.get_run(run_id).lineage["constitution"])


def compare(
    baseline: str,
    candidate: str,
    *,
    constitution: Path | None = None,
    store_url: str | None = None,
) -> RegressionReport:
    """Compare a candidate run with a baseline run, per criterion and category, Holm-adjusted.

    Uses the candidate's own constitution (its regression margins and confidence) unless one is
    given. See `safetyloop.gate._regression` for the statistics.
    """
    with Store(store_url) as store:
        cand = evidence_for(store, candidate)
        base = evidence_for(store, baseline)
        chosen = _constitution_of(store, cand.run_id, constitution)
    if base.run_id == cand.run_id:
        raise InputError("the baseline and the candidate are the same run")
    return compare_evidence(chosen, base, cand)


@dataclass(frozen=True)
class HistoryPoint:
    """One release: the criterion measured on one run, exactly as the gate measures it."""

    run_id: str
    created_at: datetime
    target_version: str
    events: int
    n: int
    rate: float
    low: float
    high: float
    method: str


@dataclass(frozen=True)
class HistorySeries:
    """A criterion across the releases, with its logistic trend.

    Attributes:
        principle: principle id.
        metric: the criterion's metric.
        threshold: its limit (`comparison` says on which side).
        comparison: ``max`` or ``min``.
        points: one per release, oldest first.
        trend: the trend of the violation rate over release order (None with fewer than two
            releases with scored cases).
        crossing_release: 1-based release number at which the fitted violation rate crosses the
            threshold (may be past or future); None when it never does or no trend is estimable.
        note: why there is no trend.
    """

    principle: str
    metric: str
    threshold: float
    comparison: str
    points: list[HistoryPoint]
    trend: TrendResult | None
    crossing_release: float | None
    note: str = ""

    @property
    def releases_until_crossing(self) -> float | None:
        """Releases from the latest until the projected crossing (negative: already past)."""
        if self.crossing_release is None:
            return None
        return self.crossing_release - len(self.points)


@dataclass(frozen=True)
class History:
    """Every finished run of a deployment's target, oldest first, measured per criterion."""

    deployment: str
    target_name: str
    runs: list[RunInfo]
    series: list[HistorySeries] = field(default_factory=list)


def history(
    deployment: str | None = None,
    *,
    constitution: Path | None = None,
    store_url: str | None = None,
) -> History:
    """Each principle's rate with its interval across the releases of a deployment.

    `deployment` is a registered baseline name (its target is used) or a target name; None means
    the target of the latest run. Every run is measured under one constitution (given, else the
    latest run's) so the series are comparable; the trend test pools every release's cases.
    """
    with Store(store_url) as store:
        if deployment is None:
            latest = store.get_run("latest")
            name, target = latest.target_name, latest.target_name
        else:
            found = store.get_baseline(deployment)
            name, target = deployment, (found.target_name if found else deployment)
        runs = store.runs_of_target(target)
        if not runs:
            raise InputError(
                f"no finished runs of target {target!r}",
                hint="list runs with `safetyloop runs list`",
            )
        con = _constitution_of(store, runs[-1].id, constitution)
        evidences = [evidence_for(store, r.id) for r in runs]
    series: list[HistorySeries] = []
    for p in con.principles:
        for c in p.criteria:
            points = []
            for run, ev in zip(runs, evidences, strict=True):
                result, _ = measure(p, c, con, ev)
                points.append(
                    HistoryPoint(
                        run.id,
                        run.created_at,
                        run.target_version,
                        result.events,
                        result.n,
                        result.rate,
                        result.low,
                        result.high,
                        result.interval_method,
                    )
                )
            series.append(_with_trend(p.id, c.metric, c.threshold, c.comparison, points))
    return History(name, target, runs, series)


def _with_trend(
    pid: str, metric: str, threshold: float, comparison: Comparison, points: list[HistoryPoint]
) -> HistorySeries:
    is_max = comparison == Comparison.MAX
    counts = [(p.events if is_max else p.n - p.events, p.n) for p in points]
    t = threshold if is_max else 1.0 - threshold
    trend: TrendResult | None = None
    note = ""
    if sum(n > 0 for _, n in counts) < 2:
        note = "a trend needs at least two releases with scored cases"
    elif not 0.0 < t < 1.0:
        note = "a threshold of 0 or 1 has no crossing"
    else:
        trend = trend_test(counts, t)
        note = trend.note
    crossing = (
        trend.crossing_index + 1.0
        if trend is not None and trend.crossing_index is not None
        else None
    )
    return HistorySeries(pid, metric, threshold, comparison.value, points, trend, crossing, note)


def selfcheck_stats(n_sims: int = 2000, seed: int = 0, confidence: float = 0.95) -> SelfCheckReport:
    """Simulate the gate where the truth is known: A/A false BLOCKs, coverage, planned power.

    Runs `stats.selfcheck` at the gate's own one-sided level, (1 − confidence) / 2 — the level
    the `regression` rule decides at — so the figures describe the gate as configured. The
    coverage floor (0.94) is meant for 95% intervals.
    """
    if n_sims < 10:
        raise InputError(f"--sims must be at least 10, got {n_sims}")
    if not 0.5 < confidence < 1.0:
        raise InputError(f"confidence must lie between 0.5 and 1, got {confidence}")
    return selfcheck(
        n_sims=n_sims, seed=seed, alpha=(1.0 - confidence) / 2.0, confidence=confidence
    )
