"""Blast radius: how far does the incident's failure reach beyond its own transcript?

The incident's user requests are embedded with the offline MiniLM (the scorers' loader); the
nearest cases across the bundled suites and a production traffic log form its neighbourhood.
The target runs on the neighbourhood and on a stratified sample of the same suites, and the
report gives the failure rate in the neighbourhood with an interval, the categories and
deployments affected, and the difference from the suite-wide rate (Newcombe interval).
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Sequence
from functools import lru_cache

from pydantic import BaseModel, ConfigDict

from safetyloop.engine import RunnerSettings
from safetyloop.errors import InputError
from safetyloop.governance import Clock, audit, current_actor
from safetyloop.incidents._execute import METRIC, Outcome, execute, failure_of
from safetyloop.incidents._repo import get_incident, record_measurement
from safetyloop.incidents._suite import SUITE_NAME
from safetyloop.incidents._traffic import TrafficEntry
from safetyloop.scoring._features import Array, embed
from safetyloop.stats import Interval, newcombe_difference, wilson
from safetyloop.store import Store
from safetyloop.suites import Case, Expected, Message, load_suite, stratified_sample, suite_names
from safetyloop.targets import GenerateParams, Target

__all__ = ["BlastReport", "Neighbour", "blast_radius", "default_pool_suites", "nearest"]

TRAFFIC = "traffic"


class Neighbour(BaseModel):
    """A case near the incident, and how the target did on it."""

    model_config = ConfigDict(frozen=True)

    key: str
    source: str  # a suite name, or "traffic"
    category: str
    deployment: str | None
    similarity: float
    prompt: str
    label: str | None = None
    failed: bool | None = None


class Tally(BaseModel):
    model_config = ConfigDict(frozen=True)

    cases: int
    scored: int
    failed: int


class BlastReport(BaseModel):
    """The neighbourhood's failure rate beside the suite-wide one."""

    model_config = ConfigDict(frozen=True)

    incident_id: str
    target_name: str
    target_version: str
    scorer: str
    suites: list[str]
    traffic_entries: int
    neighbours: list[Neighbour]
    neighbourhood: Interval
    neighbourhood_errors: int
    suite_wide: Interval | None
    suite_wide_cases: int
    difference: Interval | None
    categories: dict[str, Tally]
    deployments: dict[str, Tally]
    measurement_id: int | None = None


def default_pool_suites() -> list[str]:
    """Every registered suite except the incident regressions themselves."""
    return [name for name in suite_names() if name != SUITE_NAME]


def _traffic_case(entry: TrafficEntry) -> Case:
    return Case(
        id=entry.id,
        suite=TRAFFIC,
        category=entry.category or "uncategorised",
        messages=(Message(role="user", content=entry.prompt),),
        expected=Expected.REFUSE,
        metadata={"deployment": entry.deployment, "timestamp": entry.timestamp.isoformat()},
    )


@lru_cache(maxsize=4)
def _pool_vectors(prompts: tuple[str, ...]) -> Array:
    """Embeddings of a pool's prompts, kept for the next call on the same pool (suites are large;
    a long-lived process asks about many incidents against the same ones)."""
    vectors = embed(list(prompts))
    vectors.flags.writeable = False  # shared between calls
    return vectors


def nearest(queries: Sequence[str], pool: Sequence[Case], k: int) -> list[tuple[Case, float]]:
    """The `k` cases of `pool` closest to any query (cosine of MiniLM embeddings), best first.

    Ties are broken by case key, so the neighbourhood is deterministic.
    """
    if not queries or not pool:
        return []
    q = embed(list(queries))
    p = _pool_vectors(tuple(c.prompt for c in pool))
    similarity = (p @ q.T).max(axis=1)
    order = sorted(range(len(pool)), key=lambda i: (-round(float(similarity[i]), 6), pool[i].key))
    return [(pool[i], float(similarity[i])) for i in order[:k]]


def _tally(items: Sequence[tuple[str, Outcome]]) -> dict[str, Tally]:
    groups: dict[str, list[Outcome]] = defaultdict(list)
    for name, outcome in items:
        groups[name].append(outcome)
    out = {}
    for name, outcomes in sorted(groups.items()):
        failed, scored, _ = failure_of(outcomes)
        out[name] = Tally(cases=len(outcomes), scored=scored, failed=failed)
    return out


def blast_radius(
    store: Store,
    incident_id: str,
    target: Target,
    *,
    traffic: Sequence[TrafficEntry] = (),
    suites: Sequence[str] | None = None,
    k_nearest: int = 20,
    baseline_sample: int = 40,
    params: GenerateParams | None = None,
    scorer: str | None = None,
    settings: RunnerSettings | None = None,
    seed: int = 0,
    confidence: float = 0.95,
    record: bool = True,
    actor: str | None = None,
    clock: Clock | None = None,
) -> BlastReport:
    """Measure the target on the incident's neighbourhood and on the suites at large."""
    if k_nearest < 1:
        raise InputError("--k-nearest must be at least 1")
    incident = get_incident(store, incident_id).incident
    names = list(suites) if suites is not None else default_pool_suites()
    suite_cases = [
        c for name in names for c in load_suite(name).cases if c.expected == Expected.REFUSE
    ]
    pool = suite_cases + [_traffic_case(e) for e in traffic]
    found = nearest(incident.user_requests(), pool, k_nearest)
    if not found:
        raise InputError(
            "the neighbourhood is empty: no harmful suite cases and no traffic to search",
            hint="name suites with --suites or give a --traffic log",
        )
    chosen = {c.key for c, _ in found}
    rest = [c for c in suite_cases if c.key not in chosen]
    baseline = stratified_sample(rest, baseline_sample, seed) if baseline_sample > 0 else []
    run_params = params or GenerateParams(max_tokens=128, temperature=0.0, seed=seed)
    neighbour_cases = [c for c, _ in found]
    outcomes = asyncio.run(
        _run(target, run_params, [*neighbour_cases, *baseline], scorer, settings)
    )
    near, wide = outcomes[: len(neighbour_cases)], outcomes[len(neighbour_cases) :]
    failed, scored, errors = failure_of(near)
    base_failed, base_scored, _ = failure_of(wide)
    neighbourhood = wilson(failed, scored, confidence)
    suite_wide = wilson(base_failed, base_scored, confidence) if base_scored else None
    difference = (
        newcombe_difference(failed, scored, base_failed, base_scored, confidence)
        if scored and base_scored
        else None
    )
    neighbours = [
        Neighbour(
            key=case.key,
            source=case.suite,
            category=case.category,
            deployment=case.metadata.get("deployment"),
            similarity=round(sim, 4),
            prompt=case.prompt,
            label=o.score.label if o.score else None,
            failed=o.failed,
        )
        for (case, sim), o in zip(found, near, strict=True)
    ]
    report = BlastReport(
        incident_id=incident_id,
        target_name=target.name,
        target_version=target.version,
        scorer=scorer or METRIC.default_scorer,
        suites=names,
        traffic_entries=len(traffic),
        neighbours=neighbours,
        neighbourhood=neighbourhood,
        neighbourhood_errors=errors,
        suite_wide=suite_wide,
        suite_wide_cases=len(baseline),
        difference=difference,
        categories=_tally([(o.case.category, o) for o in near]),
        deployments=_tally(
            [(str(o.case.metadata["deployment"]), o) for o in near if o.case.suite == TRAFFIC]
        ),
    )
    if not record:
        return report
    measurement = record_measurement(
        store,
        incident_id,
        "blast-radius",
        target.name,
        target.version,
        report.model_dump(mode="json"),
        clock,
    )
    audit.record(
        store,
        "incident.blast_radius",
        {
            "incident_id": incident_id,
            "measurement_id": measurement,
            "target": target.version,
            "neighbourhood": [failed, scored],
        },
        actor=actor or current_actor(),
        clock=clock,
    )
    return report.model_copy(update={"measurement_id": measurement})


async def _run(
    target: Target,
    params: GenerateParams,
    cases: list[Case],
    scorer: str | None,
    settings: RunnerSettings | None,
) -> list[Outcome]:
    try:
        return await execute(target, [(params, cases)], scorer=scorer, settings=settings)
    finally:
        await target.aclose()
