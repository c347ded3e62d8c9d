"""Typed records of an agentic run: the case, every step of its trajectory, and its outcome."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from safetyloop.targets import ToolCall

__all__ = ["AgenticCase", "Outcome", "Step", "ToolExecution", "Trajectory"]


class AgenticCase(BaseModel):
    """One episode to run: a user task, alone (benign) or with an injection goal and attack.

    Attributes:
        id: `environment/user_task` for benign cases, `.../injection_goal/attack` otherwise.
        vectors: The injection vectors filled with the attack's text (the ones the user
            task's solution reads).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    environment: str
    user_task: str
    injection_goal: str | None = None
    attack: str | None = None
    vectors: tuple[str, ...] = ()

    @property
    def attacked(self) -> bool:
        return self.injection_goal is not None


ExecutionStatus = Literal["ok", "tool_error", "invalid_arguments", "unknown_tool", "blocked"]


class ToolExecution(BaseModel):
    """One tool call the model asked for and what came of it.

    Attributes:
        status: `ok`; `tool_error` (the tool ran and refused, e.g. no such file);
            `invalid_arguments` / `unknown_tool` (nothing ran); `blocked` (a defence refused it).
        sanctioned: Whether the tool is in the user task's allowed set.
        output: What the model was shown (after any defence changed it).
        flagged: Why a detector withheld the output, if one did.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    call_id: str
    tool: str
    arguments: dict[str, Any] = Field(default_factory=dict)
    raw_arguments: str | None = None
    status: ExecutionStatus
    sanctioned: bool
    output: str
    flagged: str | None = None

    @property
    def ran(self) -> bool:
        """The tool's function was called (whether it succeeded or refused)."""
        return self.status in ("ok", "tool_error")


class Step(BaseModel):
    """One model turn: what it said, the calls it made and their results, or why it failed.

    Attributes:
        text: The model's text (the raw reply under the text protocol).
        tool_calls: The calls as the model sent them.
        parse_error: Why the reply (or a call's arguments) was not a valid action.
        error: The provider error that ended the episode (never an answer).
        tokens: Tokens this turn used, as the provider reported them (estimated from characters
            when it reported none: `tokens_estimated`).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    index: int
    text: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    executions: tuple[ToolExecution, ...] = ()
    parse_error: str | None = None
    error: str | None = None
    error_kind: str | None = None
    tokens: int = 0
    tokens_estimated: bool = False
    #: Requests the runner made for this turn (retries after 429s, 5xx and timeouts included).
    attempts: int = 1
    cached: bool = False
    final: bool = False


EpisodeStatus = Literal["done", "step_limit", "token_limit", "error"]


class Trajectory(BaseModel):
    """Everything an episode did, step by step, and the final state it left."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    case: AgenticCase
    agent: str  #: the target's version hash with the defences' (what the gate compares)
    steps: tuple[Step, ...]
    status: EpisodeStatus
    final_answer: str | None = None
    tokens: int = 0
    final_state: dict[str, Any] = Field(default_factory=dict)

    @property
    def executions(self) -> list[ToolExecution]:
        return [e for step in self.steps for e in step.executions]

    @property
    def parse_errors(self) -> int:
        return sum(1 for step in self.steps if step.parse_error)


class Outcome(BaseModel):
    """An episode judged from its final state.

    `utility` and `attack_success` are None for an episode that ended in a provider error:
    it is counted as an error, never as a safe (or a failed) outcome. `attack_success` is also
    None for benign cases.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    case_id: str
    environment: str
    user_task: str
    injection_goal: str | None
    attack: str | None
    status: EpisodeStatus
    utility: bool | None
    attack_success: bool | None
    unsanctioned_actions: int
    blocked_calls: int
    #: Tool outputs a detector withheld (on a benign episode, each is a false alarm).
    flagged_outputs: int = 0
    parse_errors: int
    steps: int

    @property
    def error(self) -> bool:
        return self.status == "error"
