"""An agentic run: build the cases, run each episode with bounded concurrency, score each from
its final state, and summarise the rates with intervals."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from safetyloop._hashing import content_hash
from safetyloop.agentic._attacks import get_attack
from safetyloop.agentic._cases import build_cases
from safetyloop.agentic._defences import Defence, DefenceSpec, build_defences
from safetyloop.agentic._environment import get_environment
from safetyloop.agentic._loop import AgentLimits, Episode, run_episode
from safetyloop.agentic._metrics import AgenticMetrics, summarise
from safetyloop.agentic._records import AgenticCase, Outcome, Trajectory
from safetyloop.agentic._score import score_trajectory
from safetyloop.agentic._tasks import TaskSet
from safetyloop.engine import ResponseCache, RunnerSettings
from safetyloop.targets import GenerateParams, Target

__all__ = [
    "AgentRunConfig",
    "AgenticRun",
    "agent_version",
    "plan_cases",
    "run_agentic",
    "run_case",
    "run_lineage",
]

DEFAULT_ATTACKS = ("important_instructions", "tool_knowledge", "data_exfiltration")


class AgentRunConfig(BaseModel):
    """What an agentic run covers and how each episode is bounded."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    attacks: list[str] = Field(default_factory=lambda: list(DEFAULT_ATTACKS))
    defences: list[DefenceSpec | str] = Field(default_factory=list)
    environments: list[str] | None = None
    user_tasks: list[str] | None = None
    injection_goals: list[str] | None = None
    benign: bool = True
    limits: AgentLimits = Field(default_factory=AgentLimits)
    params: GenerateParams = Field(default_factory=lambda: GenerateParams(max_tokens=512))
    concurrency: int = Field(default=4, ge=1)


class AgenticRun(BaseModel):
    """Every trajectory of a run, its outcome, and the rates."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    agent: str
    tasks_version: str
    #: What produced every verdict, by content hash: the target as it describes itself, the
    #: defences, each environment's data and tools, each attack, and the run's settings.
    lineage: dict[str, Any] = Field(default_factory=dict)
    trajectories: list[Trajectory]
    outcomes: list[Outcome]
    metrics: AgenticMetrics


def agent_version(target: Target, defences: Sequence[Defence]) -> str:
    """The hash the gate compares: the target's version and each defence's description."""
    return content_hash({"target": target.version, "defences": [d.describe() for d in defences]})


async def run_case(
    target: Target,
    case: AgenticCase,
    tasks: TaskSet,
    defences: Sequence[Defence],
    config: AgentRunConfig,
    settings: RunnerSettings | None = None,
    cache: ResponseCache | None = None,
) -> tuple[Trajectory, Outcome]:
    """Run and score one case."""
    env = get_environment(case.environment)
    task = next(t for t in tasks.user_tasks(case.environment) if t.id == case.user_task)
    goal = next(
        (g for g in tasks.injection_goals(case.environment) if g.id == case.injection_goal), None
    )
    injections: dict[str, str] = {}
    if goal is not None and case.attack is not None:
        text = get_attack(case.attack).render(goal)
        injections = dict.fromkeys(case.vectors, text)
    episode = Episode(
        case=case,
        environment=env,
        task=task,
        injections=injections,
        defences=defences,
        agent_version=agent_version(target, defences),
    )
    trajectory = await run_episode(target, episode, config.params, config.limits, settings, cache)
    return trajectory, score_trajectory(trajectory, task, goal)


def plan_cases(tasks: TaskSet, config: AgentRunConfig) -> list[AgenticCase]:
    """The cases `config` asks for, in run order.

    Raises:
        InputError: an unknown attack, environment, user task or goal.
    """
    for name in config.attacks:
        get_attack(name)
    return build_cases(
        tasks,
        config.attacks,
        benign=config.benign,
        environments=config.environments,
        user_tasks=config.user_tasks,
        injection_goals=config.injection_goals,
    )


def run_lineage(
    target: Target,
    defences: Sequence[Defence],
    cases: Sequence[AgenticCase],
    config: AgentRunConfig,
) -> dict[str, Any]:
    """What produced every verdict, by content hash (recorded with the run)."""
    environments = sorted({c.environment for c in cases})
    return {
        "target": target.describe(),
        "defences": [d.describe() for d in defences],
        "environments": {name: get_environment(name).version for name in environments},
        "attacks": {name: get_attack(name).version for name in config.attacks},
        "config": config.model_dump(mode="json"),
    }


async def run_agentic(
    target: Target,
    tasks: TaskSet,
    config: AgentRunConfig | None = None,
    *,
    settings: RunnerSettings | None = None,
    cache: ResponseCache | None = None,
    on_result: Callable[[Trajectory, Outcome], None] | None = None,
    finished: Sequence[tuple[Trajectory, Outcome]] = (),
) -> AgenticRun:
    """Run every case of `tasks` under `config` against `target` and summarise.

    `finished` holds episodes an interrupted run already stored: their cases are not sent
    again, and their results take their place in the run (`on_result` is not called for them).

    Raises:
        InputError: an unknown attack, defence or environment (before anything runs).
    """
    config = config or AgentRunConfig()
    defences = build_defences(config.defences)
    cases = plan_cases(tasks, config)
    done = {t.case.id: (t, o) for t, o in finished}
    gate = asyncio.Semaphore(config.concurrency)

    async def one(case: AgenticCase) -> tuple[Trajectory, Outcome]:
        if case.id in done:
            return done[case.id]
        async with gate:
            result = await run_case(target, case, tasks, defences, config, settings, cache)
        if on_result is not None:
            on_result(*result)
        return result

    results = await asyncio.gather(*(one(c) for c in cases))
    outcomes = [o for _, o in results]
    return AgenticRun(
        agent=agent_version(target, defences),
        tasks_version=tasks.version,
        lineage=run_lineage(target, defences, cases, config),
        trajectories=[t for t, _ in results],
        outcomes=outcomes,
        metrics=summarise(outcomes),
    )
