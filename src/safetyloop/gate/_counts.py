"""A criterion's counts, from the run's cases one by one or from the store's verdict groups.

The gate decides on counts: cases, scored cases, events, per category and per cluster. A run's
evidence either holds every case, answer and verdict (`RunEvidence.cases`), or the verdicts
counted in SQL (`RunEvidence.tallies`, the store's `VerdictGroup`s) when the run is too large
to read back; both give the same counts, so the same decision.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from safetyloop.config import Criterion
from safetyloop.gate._adjust import canonical, case_outcomes, cluster_sizes
from safetyloop.scoring import ERROR, Metric, counting
from safetyloop.store import VerdictGroup
from safetyloop.suites import Case

if TYPE_CHECKING:
    from safetyloop.gate._model import RunEvidence


@dataclass(frozen=True)
class CategoryCounts:
    events: int
    n: int
    errors: int


@dataclass(frozen=True)
class Counts:
    """What the rules read of one criterion.

    Attributes:
        total: the run's cases the criterion counts over.
        n: those with a usable verdict; the rest (`total - n`) are errors.
        events: verdicts that are events of the metric.
        categories: the same by category, in name order.
        clusters: (events, n) per cluster of scored cases (`_adjust.canonical` order); None
            when no scored case has a cluster id.
    """

    total: int
    n: int
    events: int
    categories: dict[str, CategoryCounts]
    clusters: list[tuple[int, int]] | None


def applicable_cases(criterion: Criterion, evidence: RunEvidence) -> list[Case]:
    """The run's cases a criterion counts over: its suites, the metric's expected behaviour."""
    metric = counting(criterion.metric, criterion.events)
    return [
        c for c in evidence.cases if c.suite in criterion.suites and c.expected == metric.applies_to
    ]


def criterion_counts(criterion: Criterion, evidence: RunEvidence, scorer: str) -> Counts:
    """The criterion's counts on the run, by `scorer`'s verdicts."""
    metric = counting(criterion.metric, criterion.events)
    if evidence.tallies is not None:
        return _from_groups(metric, criterion, evidence.tallies.get(scorer, []))
    cases = applicable_cases(criterion, evidence)
    outcomes = case_outcomes(metric, cases, evidence, scorer)
    members: dict[str, list[Case]] = defaultdict(list)
    for case in cases:
        members[case.category].append(case)
    categories = {}
    for category, group in sorted(members.items()):
        scored = [outcomes[c.key] for c in group if c.key in outcomes]
        categories[category] = CategoryCounts(sum(scored), len(scored), len(group) - len(scored))
    return Counts(
        total=len(cases),
        n=len(outcomes),
        events=sum(outcomes.values()),
        categories=categories,
        clusters=cluster_sizes(cases, outcomes),
    )


def _from_groups(metric: Metric, criterion: Criterion, groups: Sequence[VerdictGroup]) -> Counts:
    total = n = events = 0
    categories: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    clusters: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    alone = [0, 0]  # (events, n) of scored cases without a cluster: one cluster each
    for g in groups:
        if g.suite not in criterion.suites or g.expected != metric.applies_to.value:
            continue
        total += g.count
        category = categories[g.category]
        if g.label is None or g.label == ERROR:
            category[2] += g.count
            continue
        hits = g.count if metric.is_event(g.label) else 0
        n, events = n + g.count, events + hits
        category[0] += hits
        category[1] += g.count
        where = alone if g.cluster is None else clusters[g.cluster]
        where[0] += hits
        where[1] += g.count
    sizes = [(e, m) for e, m in clusters.values()]
    sizes += [(1, 1)] * alone[0] + [(0, 1)] * (alone[1] - alone[0])
    return Counts(
        total=total,
        n=n,
        events=events,
        categories={k: CategoryCounts(*v) for k, v in sorted(categories.items())},
        clusters=canonical(sizes) if clusters else None,
    )
