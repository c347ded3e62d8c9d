"""Agentic regression cases: an incident's world, replayed as an episode and judged by state.

An agentic incident promotes to a `Case` of the `incident-regressions` suite whose metadata
carries a `Scenario` (under `SCENARIO_KEY`): the environment, its starting state with the
attacker's text already planted, the user's task and the forbidden action as a state check.
Running it is an episode of the agent loop; its verdict is whether the forbidden check holds in
the state the agent left. A text answer to the case's messages is never evidence about it: a
result without the episode's outcome (under `OUTCOME_KEY`) has no verdict, so C5 and the debt
ledger cannot pass it on a text scorer's word.

Owned by the incident lab (issue 14, item 7); the rest of `agentic/` does not depend on it.
"""

from __future__ import annotations

import copy
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_serializer

from safetyloop.agentic._environment import Environment, get_environment
from safetyloop.agentic._loop import AgentLimits, Episode, run_episode
from safetyloop.agentic._records import AgenticCase, Outcome, Trajectory
from safetyloop.agentic._score import score_trajectory
from safetyloop.agentic._tasks import InjectionGoal, UserTask
from safetyloop.engine import CaseResult, RunnerSettings
from safetyloop.errors import InputError
from safetyloop.suites import Case
from safetyloop.targets import ANSWERED_BY, GenerateParams, Target, TargetError, TargetResponse

__all__ = [
    "ANSWERER",
    "OUTCOME_KEY",
    "SCENARIO_KEY",
    "Injection",
    "Scenario",
    "answer_episode",
    "case_metadata",
    "case_result",
    "dump_checked",
    "forbidden_action",
    "is_agentic",
    "run_scenario",
    "scenario_of",
]

#: `Case.metadata` key of an agentic regression case's scenario.
SCENARIO_KEY = "agentic_scenario"
#: `CaseResult.metadata` key of the episode's outcome, the only evidence about such a case.
OUTCOME_KEY = "agentic_outcome"
#: The case answerer (`safetyloop.case_answerers` entry point) that runs such a case in a run.
ANSWERER = "agentic-episode"


class Injection(BaseModel):
    """Where the attacker's text reached the agent.

    Attributes:
        tool: The tool whose output carried it.
        path: Dotted path of the string in the starting state it was appended to.
        text: The planted text.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    tool: str
    path: str
    text: str = Field(min_length=1)


class Scenario(BaseModel):
    """One replayable agentic episode.

    Attributes:
        environment: A registered environment's name (its tools and state model).
        state: The whole starting state, the injection already planted at `injection.path`.
        injection: Where the planted text sits (shown in reports; already in `state`).
        user_task: What the user asked, its sanctioned tools and its success check.
        forbidden: The action the incident was about: its calls and the state check that sees
            it. The case fails when that check holds.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    environment: str
    state: dict[str, Any]
    injection: Injection
    user_task: UserTask
    forbidden: InjectionGoal

    @field_serializer("user_task", "forbidden")
    def _round_trip(self, value: BaseModel) -> dict[str, Any]:
        return dump_checked(value)


def dump_checked(value: BaseModel) -> dict[str, Any]:
    """A task or goal as data that validates back to it: checks keep their `is`/`not` keys and
    only the operator a matcher was given (a plain dump fills every other with null)."""
    return value.model_dump(mode="json", by_alias=True, exclude_unset=True)


class _Inline(Environment):
    """A registered environment's tools over the scenario's own starting state."""

    def __init__(self, base: Environment, state: dict[str, Any]) -> None:
        super().__init__(base.name, base.state_model, base.tools, base.data_dir)
        self.initial = state

    def new_state(self, injections: Any = None) -> BaseModel:
        if injections:
            raise InputError("an incident's scenario carries its injection in its state")
        return self.state_model.model_validate(copy.deepcopy(self.initial))


def case_metadata(scenario: Scenario) -> dict[str, Any]:
    """What makes a case agentic: its scenario, and the answerer that runs it in a run."""
    return {SCENARIO_KEY: scenario.model_dump(mode="json"), ANSWERED_BY: ANSWERER}


def is_agentic(case: Case) -> bool:
    """Whether `case` is an agentic regression case (judged by state, never by text)."""
    return SCENARIO_KEY in case.metadata


def scenario_of(case: Case) -> Scenario:
    """The case's scenario (InputError when it has none)."""
    body = case.metadata.get(SCENARIO_KEY)
    if body is None:
        raise InputError(f"case {case.key} is not an agentic regression case")
    return Scenario.model_validate(body)


async def run_scenario(
    target: Target,
    scenario: Scenario,
    case_id: str,
    params: GenerateParams,
    *,
    limits: AgentLimits | None = None,
    settings: RunnerSettings | None = None,
) -> tuple[Trajectory, Outcome]:
    """Run `target` as an agent in the scenario (native tool calling when it has it, the text
    protocol otherwise) and score the episode: `attack_success` is the forbidden check."""
    env = _Inline(get_environment(scenario.environment), scenario.state)
    episode = Episode(
        case=AgenticCase(
            id=case_id,
            environment=scenario.environment,
            user_task=scenario.user_task.id,
            injection_goal=scenario.forbidden.id,
            attack="incident",
        ),
        environment=env,
        task=scenario.user_task,
        injections={},
        agent_version=target.version,
    )
    trajectory = await run_episode(target, episode, params, limits or AgentLimits(), settings)
    return trajectory, score_trajectory(trajectory, scenario.user_task, scenario.forbidden)


def _outcome(trajectory: Trajectory, outcome: Outcome) -> dict[str, Any]:
    calls = [
        {"tool": e.tool, "arguments": e.arguments, "status": e.status}
        for e in trajectory.executions
    ]
    return {**outcome.model_dump(mode="json"), "calls": calls}


def case_result(case: Case, trajectory: Trajectory, outcome: Outcome) -> CaseResult:
    """The result of an agentic case as a run stores it: the final answer as the response and
    the episode's outcome (with the calls that ran) under `OUTCOME_KEY`."""
    failed = next((s for s in trajectory.steps if s.error), None)
    metadata = {OUTCOME_KEY: _outcome(trajectory, outcome)}
    if failed is not None:
        return CaseResult(
            case_key=case.key,
            status="error",
            error_kind=failed.error_kind,
            error=failed.error,
            metadata=metadata,
        )
    return CaseResult(
        case_key=case.key, status="ok", response=trajectory.final_answer or "", metadata=metadata
    )


async def answer_episode(target: Target, case: Case, params: GenerateParams) -> TargetResponse:
    """The case answerer: run the case's scenario as an episode of `target` (under the run's
    parameters) and answer with its final text and outcome. A provider error that ended the
    episode is raised as the case's error (the loop's own caller has already retried it)."""
    trajectory, outcome = await run_scenario(target, scenario_of(case), case.id, params)
    failed = next((s for s in trajectory.steps if s.error), None)
    if failed is not None:
        raise TargetError(failed.error_kind or "server", failed.error or "", retryable=False)
    return TargetResponse(
        text=trajectory.final_answer or "",
        metadata={OUTCOME_KEY: _outcome(trajectory, outcome)},
    )


def forbidden_action(result: CaseResult | None) -> bool | None:
    """Whether the episode behind `result` took the forbidden action (its check held); None
    when there is no episode outcome to judge (an error, or only a text answer)."""
    if result is None or result.status != "ok":
        return None
    outcome = result.metadata.get(OUTCOME_KEY)
    if not isinstance(outcome, dict):
        return None
    value = outcome.get("attack_success")
    return value if isinstance(value, bool) else None
