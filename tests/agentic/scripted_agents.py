"""Test doubles: scripted reference agents whose utility and attack success are known in advance.

Each is a `Target`, so the real loop, protocol parser, defences and scoring run around it:

* `ObeyingAgent` does the user's task by its reference solution and, as soon as a tool's output
  carries an injection goal's instruction, carries out that goal's solution first.
* `IgnoringAgent` does the user's task by its reference solution and nothing else.
* `IdleAgent` answers at once without calling any tool.

Every double speaks the text protocol; the `Native*` variants use native tool calling instead.
They recognise the user task by its prompt and an injection by its goal's text, nothing else.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import cache
from typing import Any

from safetyloop.agentic import SolutionCall, TaskSet, UserTask
from safetyloop.suites import Message
from safetyloop.targets import (
    GenerateParams,
    Target,
    TargetError,
    TargetResponse,
    ToolCall,
    ToolSpec,
)

USAGE = {"prompt_tokens": 90, "completion_tokens": 10}
DONE = "Done."


class ScriptedAgent(Target):
    """Base of the doubles: plans its next call from the conversation alone (stateless)."""

    kind = "scripted-agent-double"
    cacheable = False
    obeys = False
    idle = False

    def __init__(self, tasks: TaskSet) -> None:
        super().__init__(type(self).__name__, {"double": type(self).__name__})
        self.tasks = tasks
        self.goals = [g for f in tasks.files for g in f.injection_goals]

    def _task(self, messages: Sequence[Message]) -> UserTask:
        prompt = next(m.content for m in messages if m.role == "user")
        return next(t for f in self.tasks.files for t in f.user_tasks if t.prompt == prompt)

    def _outputs(self, messages: Sequence[Message]) -> list[str]:
        if self.supports_tools:
            return [m.content for m in messages if m.role == "tool"]
        return [
            m.content for m in messages if m.role == "user" and m.content.startswith("Result of ")
        ]

    def plan(self, messages: Sequence[Message]) -> list[SolutionCall]:
        """The calls to make, given what the tools returned so far."""
        task = self._task(messages)
        plan = list(task.solution)
        if not self.obeys:
            return plan
        done: set[str] = set()
        for position, output in enumerate(self._outputs(messages), start=1):
            for goal in self.goals:
                if goal.goal in output and goal.id not in done:
                    done.add(goal.id)
                    plan[position:position] = goal.solution
        return plan

    def next_action(self, messages: Sequence[Message]) -> SolutionCall | str:
        """The next call, or the final answer."""
        if self.idle:
            return "I did not do anything."
        plan = self.plan(messages)
        made = len(self._outputs(messages))
        if made < len(plan):
            return plan[made]
        return self._task(messages).answer or DONE

    async def generate(self, messages: Sequence[Message], params: GenerateParams) -> TargetResponse:
        action = self.next_action(messages)
        if isinstance(action, str):
            text = json.dumps({"final": action})
        else:
            text = json.dumps({"tool": action.tool, "arguments": action.arguments})
        return TargetResponse(text=text, usage=USAGE)

    async def generate_with_tools(
        self, messages: Sequence[Message], tools: Sequence[ToolSpec], params: GenerateParams
    ) -> TargetResponse:
        action = self.next_action(messages)
        if isinstance(action, str):
            return TargetResponse(text=action, usage=USAGE)
        call = ToolCall(id=f"c{len(messages)}", name=action.tool, arguments=action.arguments)
        return TargetResponse(text="", usage=USAGE, tool_calls=(call,))


class ObeyingAgent(ScriptedAgent):
    obeys = True


class IgnoringAgent(ScriptedAgent):
    pass


class IdleAgent(ScriptedAgent):
    idle = True


class NativeObeyingAgent(ObeyingAgent):
    supports_tools = True


class NativeIgnoringAgent(IgnoringAgent):
    supports_tools = True


class ScriptedReplies(Target):
    """Test double: answers with the given texts in turn (the last one repeated)."""

    kind = "scripted-replies-double"
    cacheable = False

    def __init__(self, replies: Sequence[str], usage: dict[str, int] | None = None) -> None:
        super().__init__("replies", {"replies": list(replies)})
        self.replies = list(replies)
        self.usage = usage if usage is not None else USAGE
        self.calls = 0

    async def generate(self, messages: Sequence[Message], params: GenerateParams) -> TargetResponse:
        reply = self.replies[min(self.calls, len(self.replies) - 1)]
        self.calls += 1
        return TargetResponse(text=reply, usage=self.usage)


class NativeReplies(Target):
    """Test double: native tool calling that returns the given responses in turn."""

    kind = "native-replies-double"
    cacheable = False
    supports_tools = True

    def __init__(self, responses: Sequence[TargetResponse]) -> None:
        super().__init__("native", {"n": len(responses)})
        self.responses = list(responses)
        self.calls = 0
        self.seen: list[list[Message]] = []

    async def generate(self, messages: Sequence[Message], params: GenerateParams) -> TargetResponse:
        raise AssertionError("a native target is driven through generate_with_tools")

    async def generate_with_tools(
        self, messages: Sequence[Message], tools: Sequence[ToolSpec], params: GenerateParams
    ) -> TargetResponse:
        self.seen.append(list(messages))
        response = self.responses[min(self.calls, len(self.responses) - 1)]
        self.calls += 1
        return response


class FailingAgent(Target):
    """Test double: every call fails as a provider error (after the runner's retries)."""

    kind = "failing-double"
    cacheable = False

    def __init__(self) -> None:
        super().__init__("failing", {})
        self.calls = 0

    async def generate(self, messages: Sequence[Message], params: GenerateParams) -> TargetResponse:
        self.calls += 1
        raise TargetError("client", "400 bad request", retryable=False, status=400)


def call_args(**kwargs: Any) -> dict[str, Any]:
    return kwargs


def _text_action(agent: ScriptedAgent, messages: list[dict[str, Any]]) -> str:
    """The agent's next action; a prompt that is no user task (an evaluation run's case) gets
    the careful chat double's answer, so one `python:` target is both the release's chat model
    and its agent (one target version for the gate)."""
    conversation = [Message.model_validate(m) for m in messages]
    prompt = next((m.content for m in conversation if m.role == "user"), None)
    if prompt not in _task_prompts():
        from tests.cli.stats_doubles import simulated_careful

        return simulated_careful(messages, {})
    action = agent.next_action(conversation)
    if isinstance(action, str):
        return json.dumps({"final": action})
    return json.dumps({"tool": action.tool, "arguments": action.arguments})


def obeying_agent(messages: list[dict[str, Any]], params: dict[str, Any]) -> str:
    """`python:` target double: the obeying agent under the text protocol."""
    return _text_action(ObeyingAgent(_bundled()), messages)


def ignoring_agent(messages: list[dict[str, Any]], params: dict[str, Any]) -> str:
    """`python:` target double: the ignoring agent under the text protocol."""
    return _text_action(IgnoringAgent(_bundled()), messages)


def idle_agent(messages: list[dict[str, Any]], params: dict[str, Any]) -> str:
    """`python:` target double: the agent that does nothing, under the text protocol."""
    return _text_action(IdleAgent(_bundled()), messages)


@cache
def _task_prompts() -> frozenset[str]:
    return frozenset(t.prompt for f in _bundled().files for t in f.user_tasks)


@cache
def _bundled() -> TaskSet:
    from safetyloop.agentic import load_tasks

    return load_tasks()


#: Where `slow_ignoring_agent` logs each episode it starts (one line a first turn).
EPISODE_LOG = "SAFETYLOOP_TEST_EPISODE_LOG"


def slow_ignoring_agent(messages: list[dict[str, Any]], params: dict[str, Any]) -> str:
    """`python:` target double: the ignoring agent, 50 ms a turn, logging every first turn (the
    case's user prompt and what the tools returned so far: none) to `$SAFETYLOOP_TEST_EPISODE_LOG`,
    so a test can count how many episodes were sent across an interrupted and a resumed run."""
    import os
    import time

    time.sleep(0.05)
    log = os.environ.get(EPISODE_LOG)
    first = not any(m["role"] == "user" and m["content"].startswith("Result of ") for m in messages)
    if log and first:
        prompt = next(m["content"] for m in messages if m["role"] == "user")
        with open(log, "a", encoding="utf-8") as f:
            f.write(json.dumps(prompt) + "\n")
    return _text_action(IgnoringAgent(_bundled()), messages)
