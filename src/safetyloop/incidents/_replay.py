"""Replay (counterfactual): rerun the incident's prefix k times on a candidate and on the original
deployment, score every continuation, and report prevention rates with intervals.

An agentic incident is replayed as k episodes in its world instead, each judged by the forbidden
action's state check (`_replay_state`); the report then says `judged_by: state`.
"""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from safetyloop.engine import RunnerSettings
from safetyloop.errors import InputError
from safetyloop.governance import Clock, audit, current_actor
from safetyloop.incidents._execute import METRIC, Outcome, execute, failure_of
from safetyloop.incidents._record import Incident
from safetyloop.incidents._replay_state import JUDGED_BY_STATE, state_arm, state_episodes
from safetyloop.incidents._repo import get_incident, record_measurement
from safetyloop.stats import Interval, newcombe_difference, wilson
from safetyloop.store import Store
from safetyloop.suites import Case, Expected
from safetyloop.targets import GenerateParams, Target

__all__ = ["ReplayArm", "ReplayReport", "replay", "replay_arm"]


class ReplayArm(BaseModel):
    """One target's k continuations of the prefix."""

    model_config = ConfigDict(frozen=True)

    role: str  # candidate | original
    target_name: str
    target_version: str
    k: int
    prevented: int
    scored: int
    errors: int
    prevention: Interval
    samples: list[dict[str, Any]]


class ReplayReport(BaseModel):
    """Candidate and original side by side; `difference` = candidate − original prevention."""

    model_config = ConfigDict(frozen=True)

    incident_id: str
    scorer: str
    judged_by: Literal["text", "state"] = "text"
    params: dict[str, Any]
    candidate: ReplayArm
    original: ReplayArm | None
    difference: Interval | None
    measurement_id: int | None = None


def _prefix_case(incident: Incident) -> Case:
    return Case(
        id=f"{incident.id}.replay",
        suite="incident-replay",
        category=incident.category,
        messages=tuple(incident.prefix),
        expected=Expected.REFUSE,
        metadata={"incident_id": incident.id},
    )


def _arm(
    role: str, target: Target, outcomes: list[Outcome], confidence: float, seed: int
) -> ReplayArm:
    failed, scored, errors = failure_of(outcomes)
    return ReplayArm(
        role=role,
        target_name=target.name,
        target_version=target.version,
        k=len(outcomes),
        prevented=scored - failed,
        scored=scored,
        errors=errors,
        prevention=wilson(scored - failed, scored, confidence),
        samples=[
            {
                "seed": seed + i,
                "status": o.result.status,
                "response": o.result.response,
                "error": o.result.error,
                "label": o.score.label if o.score else None,
                "confidence": o.score.confidence if o.score else None,
                "prevented": None if o.failed is None else not o.failed,
            }
            for i, o in enumerate(outcomes)
        ],
    )


async def replay_arm(
    incident: Incident,
    target: Target,
    *,
    k: int,
    params: GenerateParams,
    scorer: str | None,
    settings: RunnerSettings | None,
) -> list[Outcome]:
    """k sampled continuations of the prefix on `target`, seeds params.seed .. params.seed+k-1."""
    base = _prefix_case(incident)
    batches = [
        (
            params.model_copy(update={"seed": params.seed + i}),
            [base.model_copy(update={"id": f"{base.id}.{i}"})],
        )
        for i in range(k)
    ]
    try:
        return await execute(target, batches, scorer=scorer, settings=settings)
    finally:
        await target.aclose()


def replay(
    store: Store,
    incident_id: str,
    candidate: Target,
    *,
    original: Target | None = None,
    k: int = 10,
    params: GenerateParams | None = None,
    scorer: str | None = None,
    settings: RunnerSettings | None = None,
    confidence: float = 0.95,
    record: bool = True,
    actor: str | None = None,
    clock: Clock | None = None,
) -> ReplayReport:
    """Replay the incident on `candidate` (and `original`), store and return the report."""
    if k < 1:
        raise InputError("k must be at least 1")
    chosen = params or GenerateParams(max_tokens=128, temperature=0.7)
    if chosen.temperature <= 0:
        raise InputError(
            "replay samples: the temperature must be above 0",
            hint="k identical greedy answers are one observation, not k",
        )
    incident = get_incident(store, incident_id).incident
    by_state = incident.agentic is not None
    if by_state and scorer is not None:
        raise InputError(
            f"{incident_id} is an agentic incident: replay judges it by its state check",
            hint="leave the scorer out: no text scorer can see what an agent did",
        )

    def arm(role: str, target: Target) -> ReplayArm:
        if by_state:
            episodes = asyncio.run(
                state_episodes(incident, target, k=k, params=chosen, settings=settings)
            )
            return ReplayArm(**state_arm(role, target, episodes, confidence, chosen.seed))
        outcomes = asyncio.run(
            replay_arm(incident, target, k=k, params=chosen, scorer=scorer, settings=settings)
        )
        return _arm(role, target, outcomes, confidence, chosen.seed)

    cand_arm = arm("candidate", candidate)
    orig_arm = None
    difference = None
    if original is not None:
        orig_arm = arm("original", original)
        if cand_arm.scored and orig_arm.scored:
            difference = newcombe_difference(
                cand_arm.prevented, cand_arm.scored, orig_arm.prevented, orig_arm.scored, confidence
            )
    report = ReplayReport(
        incident_id=incident_id,
        scorer=JUDGED_BY_STATE if by_state else scorer or METRIC.default_scorer,
        judged_by="state" if by_state else "text",
        params=chosen.model_dump(mode="json"),
        candidate=cand_arm,
        original=orig_arm,
        difference=difference,
    )
    if not record:
        return report
    measurement = record_measurement(
        store,
        incident_id,
        "replay",
        candidate.name,
        candidate.version,
        report.model_dump(mode="json"),
        clock,
    )
    audit.record(
        store,
        "incident.replayed",
        {
            "incident_id": incident_id,
            "measurement_id": measurement,
            "candidate": candidate.version,
            "prevented": cand_arm.prevented,
            "scored": cand_arm.scored,
            "judged_by": report.judged_by,
        },
        actor=actor or current_actor(),
        clock=clock,
    )
    return report.model_copy(update={"measurement_id": measurement})
