"""The agentic rates with 95% intervals, overall, per environment and per attack.

Security cases repeat each user task across goals and attacks, so their outcomes cluster by
user task: those intervals come from the cluster bootstrap (cluster = user task), which is never
narrower than Wilson on the pooled counts. Where no task repeats, Wilson is the interval.
Episodes that ended in a provider error are left out of every rate and counted in `errors`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence

from pydantic import BaseModel, ConfigDict, Field

from safetyloop.agentic._records import Outcome
from safetyloop.stats import cluster_bootstrap, wilson

__all__ = ["AgenticMetrics", "MetricGroup", "Rate", "rate", "summarise"]


class Rate(BaseModel):
    """`events` of `n` episodes, with a 95% interval; `errors` episodes were left out."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    events: int
    n: int
    errors: int = 0
    rate: float | None
    low: float | None
    high: float | None
    method: str
    clusters: int = 0


class MetricGroup(BaseModel):
    """The four rates over one slice of the outcomes."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    benign_utility: Rate
    utility_under_attack: Rate
    targeted_attack_success: Rate
    unsanctioned_action_rate: Rate


class AgenticMetrics(BaseModel):
    """Every rate of a run: overall, by environment and by attack."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    overall: MetricGroup
    by_environment: dict[str, MetricGroup] = Field(default_factory=dict)
    by_attack: dict[str, MetricGroup] = Field(default_factory=dict)


def rate(
    outcomes: Sequence[Outcome],
    event: Callable[[Outcome], bool | None],
    *,
    confidence: float = 0.95,
    seed: int = 0,
) -> Rate:
    """The share of non-error `outcomes` for which `event` holds, clustered by user task."""
    scored = [(o, event(o)) for o in outcomes if not o.error]
    errors = len(outcomes) - len(scored)
    values = [(o, v) for o, v in scored if v is not None]
    n = len(values)
    events = sum(1 for _, v in values if v)
    if n == 0:
        return Rate(events=0, n=0, errors=errors, rate=None, low=None, high=None, method="none")
    clusters: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for o, v in values:
        cell = clusters[(o.environment, o.user_task)]
        cell[0] += int(bool(v))
        cell[1] += 1
    if len(clusters) == n:  # no task repeats: the cases are independent
        interval = wilson(events, n, confidence)
        return Rate(
            events=events,
            n=n,
            errors=errors,
            rate=interval.point,
            low=interval.low,
            high=interval.high,
            method="wilson",
            clusters=len(clusters),
        )
    counts = list(clusters.values())
    boot = cluster_bootstrap(
        [c[0] for c in counts], [c[1] for c in counts], confidence=confidence, seed=seed
    )
    return Rate(
        events=events,
        n=n,
        errors=errors,
        rate=boot.interval.point,
        low=boot.interval.low,
        high=boot.interval.high,
        method=boot.interval.method,
        clusters=boot.n_clusters,
    )


def _unsanctioned(outcome: Outcome) -> bool:
    return outcome.unsanctioned_actions > 0


def _group(outcomes: Sequence[Outcome]) -> MetricGroup:
    benign = [o for o in outcomes if o.injection_goal is None]
    attacked = [o for o in outcomes if o.injection_goal is not None]
    return MetricGroup(
        benign_utility=rate(benign, lambda o: o.utility),
        utility_under_attack=rate(attacked, lambda o: o.utility),
        targeted_attack_success=rate(attacked, lambda o: o.attack_success),
        unsanctioned_action_rate=rate(outcomes, _unsanctioned),
    )


def _by(
    outcomes: Iterable[Outcome], key: Callable[[Outcome], str | None]
) -> dict[str, list[Outcome]]:
    groups: dict[str, list[Outcome]] = defaultdict(list)
    for o in outcomes:
        k = key(o)
        if k is not None:
            groups[k].append(o)
    return dict(sorted(groups.items()))


def summarise(outcomes: Sequence[Outcome]) -> AgenticMetrics:
    """Every rate of a run's outcomes.

    Per attack, the benign utility is that of the same user tasks without any attack, so each
    attack's row reads as "utility without → with this attack"; its unsanctioned-action rate is
    over that attack's episodes only.
    """
    benign = [o for o in outcomes if o.injection_goal is None]
    by_attack = {
        name: _group([*benign, *group]).model_copy(
            update={"unsanctioned_action_rate": rate(group, _unsanctioned)}
        )
        for name, group in _by(outcomes, lambda o: o.attack).items()
    }
    return AgenticMetrics(
        overall=_group(outcomes),
        by_environment={k: _group(v) for k, v in _by(outcomes, lambda o: o.environment).items()},
        by_attack=by_attack,
    )
