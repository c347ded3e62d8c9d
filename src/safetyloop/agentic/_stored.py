"""Agentic runs in the store: keyed by their plan, every episode written as it finishes, and
resumable — re-running a plan whose run was interrupted sends only the cases it left.

The plan is what decides the verdicts: the agent (target and defences), the task set, the
cases, each environment's and attack's version, and the episode settings. Concurrency and the
runner's retry settings are not in it: they change how a run goes, not what it measures.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime

from safetyloop._hashing import content_hash
from safetyloop.agentic._defences import build_defences
from safetyloop.agentic._metrics import summarise
from safetyloop.agentic._records import Outcome, Trajectory
from safetyloop.agentic._request import AgentRunRequest
from safetyloop.agentic._run import (
    AgenticRun,
    agent_version,
    plan_cases,
    run_agentic,
    run_lineage,
)
from safetyloop.agentic._tasks import load_tasks
from safetyloop.store import Store
from safetyloop.store import agentic as db
from safetyloop.targets import build_target

__all__ = ["StoredAgenticRun", "load_stored_run", "run_agent_stored"]


class StoredAgenticRun(AgenticRun):
    """An agentic run as the store holds it: its id and whether it finished."""

    run_id: str
    status: str
    target_version: str


def _stored(record: db.AgenticRunRecord, eps: list[db.EpisodeRecord]) -> StoredAgenticRun:
    done = [e for e in eps if e.status == "done" and e.trajectory and e.outcome]
    outcomes = [Outcome.model_validate(e.outcome) for e in done]
    lineage = dict(record.lineage)
    agent = str(lineage.pop("agent", ""))
    return StoredAgenticRun(
        run_id=record.id,
        status=record.status,
        target_version=record.target_version,
        agent=agent,
        tasks_version=record.tasks_version,
        lineage=lineage,
        trajectories=[Trajectory.model_validate(e.trajectory) for e in done],
        outcomes=outcomes,
        metrics=summarise(outcomes),
    )


def load_stored_run(store: Store, ref: str = "latest") -> StoredAgenticRun:
    """A stored agentic run (id, unique prefix or `latest`) with every finished episode.

    Raises:
        InputError: no such run.
    """
    record = db.get_run(store, ref)
    return _stored(record, db.episodes(store, record.id))


def run_agent_stored(
    request: AgentRunRequest,
    store_url: str | None = None,
    *,
    on_result: Callable[[Trajectory, Outcome], None] | None = None,
    on_wait: Callable[[], None] | None = None,
    on_resume: Callable[[str, int, int], None] | None = None,
) -> StoredAgenticRun:
    """Run `request` into the store, resuming the unfinished run of the same plan.

    Each episode is stored as it finishes, so a killed run loses at most the episodes in
    flight. `on_resume(run_id, done, planned)` is told when a run is picked up again; a run that
    another process finished while this one waited is returned as it is, nothing sent.
    """
    tasks = load_tasks(request.task_files or None)
    config = request.config
    cases = plan_cases(tasks, config)  # bad names fail here, before anything is stored
    defences = build_defences(config.defences)
    target = build_target(request.target, request.targets_file)
    agent = agent_version(target, defences)
    lineage = run_lineage(target, defences, cases, config)
    plan = content_hash(
        {
            "agent": agent,
            "tasks": tasks.version,
            "cases": [c.id for c in cases],
            "environments": lineage["environments"],
            "attacks": lineage["attacks"],
            "limits": config.limits.model_dump(mode="json"),
            "params": config.params.model_dump(mode="json"),
        }
    )
    with Store(store_url) as store:
        record, _ = db.claim_run(
            store,
            plan_hash=plan,
            target_name=request.target,
            target_version=target.version,
            tasks_version=tasks.version,
            lineage={"agent": agent, **lineage},
        )
        with db.hold_run(store, record.id, on_wait):
            record = db.get_run(store, record.id)
            if record.status == "finished":
                asyncio.run(target.aclose())
                return _stored(record, db.episodes(store, record.id))
            db.plan_episodes(store, record.id, [(c.id, c.model_dump(mode="json")) for c in cases])
            eps = db.episodes(store, record.id)
            finished = [
                (Trajectory.model_validate(e.trajectory), Outcome.model_validate(e.outcome))
                for e in eps
                if e.status == "done" and e.trajectory and e.outcome
            ]
            if finished and on_resume is not None:
                on_resume(record.id, len(finished), len(eps))

            def store_result(trajectory: Trajectory, outcome: Outcome) -> None:
                db.finish_episode(
                    store,
                    record.id,
                    trajectory.case.id,
                    trajectory=trajectory.model_dump(mode="json"),
                    outcome=outcome.model_dump(mode="json"),
                    at=datetime.now(UTC),
                )
                if on_result is not None:
                    on_result(trajectory, outcome)

            async def go() -> None:
                try:
                    await run_agentic(
                        target,
                        tasks,
                        config,
                        settings=request.runner,
                        on_result=store_result,
                        finished=finished,
                    )
                finally:
                    await target.aclose()

            asyncio.run(go())
            db.finish_run(store, record.id, datetime.now(UTC))
            return _stored(db.get_run(store, record.id), db.episodes(store, record.id))
