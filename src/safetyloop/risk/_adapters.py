"""The built-in evidence sources: gate decisions, agentic runs, red-team grids, the
capability and sabotage evaluations and reward-model audits, each read through its stage's
public functions.

Metric names (what a pathways file binds claims to):
- gate: `<principle>/<metric>` per criterion of the run's latest recorded decision;
- agentic: the four rates overall (`targeted_attack_success`, …) and `<rate>@<environment>`;
- redteam: `attack_success` overall and `attack_success@<family>`;
- capability / sabotage: whatever those stages measure (`capability:<threshold>`,
  `sabotage:<pair>:<metric>`);
- reward: each probe family's flip rate, `reward_flip:<family>` (the newest finished audit of
  the reward model's version).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import NamedTuple

from safetyloop import capability, reward, sabotage
from safetyloop.agentic import MetricGroup, load_stored_run
from safetyloop.evidence import Measurement
from safetyloop.gate import Decision
from safetyloop.redteam.evidence import load_run
from safetyloop.redteam.metrics import success_by, success_rate
from safetyloop.risk._sources import SOURCES, Source
from safetyloop.store import AGENTIC, EVALUATION, REDTEAM, Store
from safetyloop.store import agentic as agentic_db

__all__ = ["agentic_measurements", "gate_measurements", "redteam_measurements"]


def _latest(kind: str) -> Callable[[Store, str], str | None]:
    """The newest finished run of `kind` for a target version (one ledger holds every kind)."""

    def latest(store: Store, target_version: str) -> str | None:
        run = agentic_db.latest_finished_of_target(store, target_version, kind)
        return run.id if run else None

    return latest


class _Where(NamedTuple):
    """Where a run's figures come from: the source, the run, when it was measured."""

    source: str
    run_id: str
    at: datetime

    def figure(
        self, metric: str, rate: float, low: float, high: float, n: int, method: str
    ) -> Measurement:
        return Measurement(metric, rate, low, high, n, self.source, self.run_id, self.at, method)


def gate_measurements(store: Store, run_id: str) -> list[Measurement]:
    """Each criterion of the run's latest recorded gate decision, as rate with its interval."""
    recorded = store.latest_gate_decision(run_id)
    if recorded is None:
        return []
    decision = Decision.model_validate(recorded.body)
    where = _Where("gate", decision.run_id, decision.decided_at)
    return [
        where.figure(f"{p.id}/{c.metric}", c.rate, c.low, c.high, c.n, c.interval_method)
        for p in decision.principles
        for c in p.criteria
    ]


def _group(group: MetricGroup, suffix: str, where: _Where) -> list[Measurement]:
    """The group's rates that measured something (not: no such episodes, or only errors)."""
    rates = [(name, getattr(group, name)) for name in MetricGroup.model_fields]
    return [
        where.figure(name + suffix, r.rate, r.low, r.high, r.n, r.method)
        for name, r in rates
        if r.rate is not None and r.low is not None and r.high is not None
    ]


def agentic_measurements(store: Store, run_id: str) -> list[Measurement]:
    """The agentic run's four rates overall and per environment (errors left out of each)."""
    run = load_stored_run(store, run_id)
    record = agentic_db.get_run(store, run.run_id)
    where = _Where("agentic", run.run_id, record.finished_at or record.created_at)
    out = _group(run.metrics.overall, "", where)
    for env, group in sorted(run.metrics.by_environment.items()):
        out += _group(group, f"@{env}", where)
    return out


def redteam_measurements(store: Store, run_id: str) -> list[Measurement]:
    """Attack success overall and per attack family, with the clustered intervals."""
    stored = load_run(store, run_id)
    results = stored.results
    where = _Where("redteam", stored.run.id, stored.run.finished_at or stored.run.created_at)
    rates = [success_rate(results, "")] + [
        replace(r, group=f"@{r.group}") for r in success_by(results, "family")
    ]
    return [
        where.figure(f"attack_success{r.group}", r.rate, r.low, r.high, r.n, r.method)
        for r in rates
        if r.n > 0
    ]


SOURCES.register("gate", Source("gate", gate_measurements, _latest(EVALUATION)))
SOURCES.register("redteam", Source("redteam", redteam_measurements, _latest(REDTEAM)))
SOURCES.register("agentic", Source("agentic", agentic_measurements, _latest(AGENTIC)))
SOURCES.register(
    "capability", Source("capability", capability.measurements, capability.latest_run_id)
)
SOURCES.register("sabotage", Source("sabotage", sabotage.measurements, sabotage.latest_run_id))
SOURCES.register("reward", Source("reward", reward.stored_measurements, reward.latest_run_id))
