"""A capability run: every planned attempt through agentic's loop in the sandboxed workspace,
each judged by its task's hidden test, kept in the store (kind `capability`), then summarised
per threshold as the elicited maximum with its interval, and the sandbagging check."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from safetyloop.agentic import AgentLimits
from safetyloop.capability._elicit import Attempt, ElicitationConfig, plan_attempts
from safetyloop.capability._episodes import Executed, run_stored
from safetyloop.capability._suites import CapabilitySuite, CapabilityTask, load_suites
from safetyloop.capability._thresholds import Capabilities, load_capabilities
from safetyloop.capability._workspace import (
    check_workspace,
    run_agentic_task_episode,
    run_workspace_episode,
)
from safetyloop.engine import RunnerSettings
from safetyloop.errors import InputError
from safetyloop.store import Store
from safetyloop.store.agentic import CAPABILITY
from safetyloop.targets import Target, build_target

__all__ = ["AttemptOutcome", "CapabilityRequest", "run_capability", "selected_tasks"]


class CapabilityRequest(BaseModel):
    """Everything `capability run` needs."""

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    target: str
    targets_file: Path | None = None
    capabilities: Path | None = None
    suites: list[Path] = Field(default_factory=list)
    #: At most this many tasks per suite (the first ones), for a quick look.
    sample: int | None = Field(default=None, ge=1)
    config: ElicitationConfig = Field(default_factory=ElicitationConfig)
    runner: RunnerSettings | None = None


class AttemptOutcome(BaseModel):
    """One attempt as stored: what was tried and whether the hidden test passed.

    `solved` is None when the episode ended in a provider error: an error, never a failure.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    suite: str
    task: str
    method: str
    sample: int
    framing: str
    status: str
    solved: bool | None
    steps: int
    tokens: int


def selected_tasks(
    capabilities: Capabilities, suites: dict[str, CapabilitySuite], sample: int | None
) -> list[tuple[CapabilitySuite, CapabilityTask]]:
    """The tasks the thresholds need: for each threshold and each of its suites, its tasks
    there (the first `sample` of them), each task once, in suite order."""
    wanted: set[tuple[str, str]] = set()
    for t in capabilities.thresholds:
        for name in t.suites:
            mine = [x for x in suites[name].tasks if t.tasks is None or x.id in t.tasks]
            wanted.update((name, x.id) for x in mine[:sample])
    return [
        (suite, task)
        for suite in suites.values()
        for task in suite.tasks
        if (suite.suite, task.id) in wanted
    ]


async def _execute(target: Target, attempt: Attempt, runner: RunnerSettings | None) -> Executed:
    limits = AgentLimits(max_steps=attempt.max_steps)
    ref = attempt.task.agentic
    if ref is not None:
        trajectory, solved = await run_agentic_task_episode(
            target,
            attempt.key,
            ref.environment,
            ref.user_task,
            attempt.prompt,
            params=attempt.params,
            limits=limits,
            settings=runner,
            agent=target.version,
        )
    else:
        trajectory = await run_workspace_episode(
            target,
            attempt.workspace_task(),
            params=attempt.params,
            limits=limits,
            settings=runner,
            agent=target.version,
        )
        errored = trajectory.status == "error"
        hidden = attempt.task.hidden_test
        solved = None if errored else check_workspace(trajectory.final_state, hidden)
    outcome = AttemptOutcome(
        suite=attempt.suite,
        task=attempt.task.id,
        method=attempt.method,
        sample=attempt.sample,
        framing=attempt.framing,
        status=trajectory.status,
        solved=solved,
        steps=len(trajectory.steps),
        tokens=trajectory.tokens,
    )
    return trajectory, outcome.model_dump(mode="json")


def run_capability(
    request: CapabilityRequest,
    store: Store,
    *,
    target: Target | None = None,
    on_result: Callable[[str, dict[str, Any]], None] | None = None,
) -> str:
    """Run `request` into `store` (resuming an unfinished run of the same plan); its run id.

    `target` replaces building `request.target` (a library user's own `Target`).

    Raises:
        ConfigError / InputError: a bad capabilities or suite file, an unknown target (before
            anything is stored).
    """
    suites = load_suites(request.suites)
    capabilities = load_capabilities(request.capabilities, suites)
    tasks = selected_tasks(capabilities, suites, request.sample)
    if not tasks:
        raise InputError("no capability task to run")
    attempts = {
        a.key: a
        for a in plan_attempts(
            tasks, capabilities.methods, request.config, capabilities.sandbagging
        )
    }
    target = target or build_target(request.target, request.targets_file)
    used = sorted({s.suite for s, _ in tasks})
    suite_versions = {name: suites[name].version for name in used}
    lineage = {
        "target": target.describe(),
        "capabilities": capabilities.model_dump(mode="json"),
        "suites": suite_versions,
        "config": request.config.model_dump(mode="json"),
        "sample": request.sample,
    }
    plan = {
        "target": target.version,
        "capabilities": capabilities.version,
        "suites": suite_versions,
        "attempts": list(attempts),
        "config": request.config.model_dump(mode="json", exclude={"concurrency"}),
    }

    async def execute(key: str) -> Executed:
        return await _execute(target, attempts[key], request.runner)

    return run_stored(
        store,
        kind=CAPABILITY,
        target=target,
        target_name=request.target,
        suite_version=capabilities.version,
        plan=plan,
        lineage=lineage,
        cases=[(k, {"attempt": k}) for k in attempts],
        execute=execute,
        concurrency=request.config.concurrency,
        on_result=on_result,
    )
