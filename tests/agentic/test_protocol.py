"""The text protocol: malformed actions are parse errors, recorded and told to the agent, never
guessed; the loop's step and token limits; native calls with broken arguments."""

from __future__ import annotations

import asyncio
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.agentic.scripted_agents import NativeReplies, ScriptedReplies

from safetyloop.agentic import (
    AgenticCase,
    AgentLimits,
    Episode,
    FinalAction,
    ParseError,
    ToolAction,
    Trajectory,
    get_environment,
    load_tasks,
    parse_action,
    run_episode,
)
from safetyloop.targets import GenerateParams, Target, TargetResponse, ToolCall


@pytest.mark.parametrize(
    ("text", "action"),
    [
        ('{"tool": "get_balance", "arguments": {}}', ToolAction("get_balance", {})),
        ('{"tool": "get_balance"}', ToolAction("get_balance", {})),
        ('  {"final": "done"}\n', FinalAction("done")),
        ('```json\n{"final": "done"}\n```', FinalAction("done")),
        (
            '```\n{"tool": "read_file", "arguments": {"file_path": "a"}}\n```',
            ToolAction("read_file", {"file_path": "a"}),
        ),
    ],
)
def test_valid_actions(text: str, action: object) -> None:
    assert parse_action(text) == action


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("I will check the balance.", "not JSON"),
        ('Sure! {"tool": "get_balance"}', "not JSON"),
        ('{"tool": "get_balance"} {"final": "x"}', "text after"),
        ('{"tool": "get_balance", "arguments": {}', "not JSON"),
        ("[1, 2]", "not an object"),
        ('"get_balance"', "not an object"),
        ('{"tool": "a", "final": "b"}', "not both"),
        ('{"action": "get_balance"}', "unexpected keys"),
        ('{"tool": 3}', "tool's name"),
        ('{"tool": ""}', "tool's name"),
        ('{"tool": "x", "arguments": "a=1"}', "must be a JSON object"),
        ('{"final": 42}', "must be a string"),
        ('{"tool": "x", "arguments": {}, "why": "because"}', "unexpected keys"),
        ('```json\n{"final": "x"}', "not JSON"),
    ],
)
def test_malformed_actions_are_parse_errors(text: str, reason: str) -> None:
    result = parse_action(text)
    assert isinstance(result, ParseError)
    assert reason in result.reason


def _episode(task_id: str = "march-spending") -> Episode:
    tasks = load_tasks()
    task = next(t for t in tasks.user_tasks("banking") if t.id == task_id)
    case = AgenticCase(id=f"banking/{task_id}", environment="banking", user_task=task_id)
    return Episode(case=case, environment=get_environment("banking"), task=task, injections={})


def _run(
    target: Target, limits: AgentLimits | None = None, task_id: str = "march-spending"
) -> Trajectory:
    return asyncio.run(
        run_episode(target, _episode(task_id), GenerateParams(), limits or AgentLimits(max_steps=6))
    )


def test_parse_errors_are_recorded_and_the_agent_is_told() -> None:
    target = ScriptedReplies(
        [
            "Let me look at the transactions.",
            '{"tool": "get_most_recent_transactions", "arguments": {"n": 100}}',
            '{"final": "You spent 1050 in March."}',
        ]
    )
    trajectory = _run(target)
    assert trajectory.status == "done"
    assert trajectory.parse_errors == 1
    first, second, last = trajectory.steps
    assert first.parse_error is not None and "not JSON" in first.parse_error
    assert first.executions == ()  # nothing guessed from prose
    assert second.executions[0].status == "ok"
    assert "Sushi dinner" in second.executions[0].output
    assert last.final and trajectory.final_answer == "You spent 1050 in March."


def test_the_correction_reaches_the_model() -> None:
    seen: list[str] = []

    class Recording(ScriptedReplies):
        async def generate(self, messages, params):  # type: ignore[no-untyped-def]
            seen.append(messages[-1].content)
            return await super().generate(messages, params)

    _run(Recording(["nonsense", '{"final": "ok"}']))
    assert "not a valid action" in seen[1] and '{"final"' in seen[1]


def test_the_step_limit_ends_an_episode_that_never_answers() -> None:
    trajectory = _run(ScriptedReplies(["hmm"]), AgentLimits(max_steps=4))
    assert trajectory.status == "step_limit"
    assert len(trajectory.steps) == 4 and trajectory.parse_errors == 4
    assert trajectory.final_answer is None


def test_the_token_limit_counts_reported_usage() -> None:
    reply = '{"tool": "get_balance", "arguments": {}}'
    target = ScriptedReplies([reply], usage={"prompt_tokens": 700, "completion_tokens": 300})
    trajectory = _run(target, AgentLimits(max_steps=10, max_tokens=2500))
    assert trajectory.status == "token_limit"
    assert len(trajectory.steps) == 3 and trajectory.tokens == 3000
    assert not any(s.tokens_estimated for s in trajectory.steps)


def test_tokens_are_estimated_and_marked_when_unreported() -> None:
    trajectory = _run(ScriptedReplies(['{"final": "' + "x" * 400 + '"}'], usage={}))
    assert trajectory.steps[0].tokens_estimated and trajectory.steps[0].tokens > 90


def test_invalid_arguments_and_unknown_tools_run_nothing() -> None:
    target = ScriptedReplies(
        [
            '{"tool": "send_money", "arguments": {"recipient": "X", "amount": "lots"}}',
            '{"tool": "wire_everything", "arguments": {}}',
            '{"final": "gave up"}',
        ]
    )
    trajectory = _run(target, task_id="pay-bill")
    bad, unknown = trajectory.executions
    assert bad.status == "invalid_arguments" and "amount" in bad.output and "date" in bad.output
    assert unknown.status == "unknown_tool"
    assert not bad.ran and not unknown.ran
    balance = trajectory.final_state["bank_account"]["balance"]
    assert balance == 1810.0


def test_native_calls_parallel_and_with_broken_arguments() -> None:
    calls = (
        ToolCall(id="a", name="get_balance"),
        ToolCall(id="b", name="get_iban"),
        ToolCall(id="c", name="read_file", raw_arguments='{"file_path": '),
    )
    target = NativeReplies([TargetResponse(text="", tool_calls=calls), TargetResponse(text="1810")])
    trajectory = _run(target)
    step = trajectory.steps[0]
    assert [e.status for e in step.executions] == ["ok", "ok", "invalid_arguments"]
    assert step.parse_error is not None and "read_file" in step.parse_error
    assert trajectory.final_answer == "1810" and trajectory.status == "done"
    second_turn = target.seen[1]
    assistant = second_turn[2]
    assert assistant.role == "assistant" and assistant.tool_calls is not None
    assert [c["id"] for c in assistant.tool_calls] == ["a", "b", "c"]
    assert assistant.tool_calls[2]["function"]["arguments"] == '{"file_path": '
    tool_messages = [m for m in second_turn if m.role == "tool"]
    assert [m.tool_call_id for m in tool_messages] == ["a", "b", "c"]
    assert json.loads(tool_messages[0].content) == 1810.0


def test_each_turn_gets_the_runners_retries() -> None:
    from safetyloop.engine import RetryPolicy, RunnerSettings
    from safetyloop.targets import TargetError

    class Flaky(ScriptedReplies):
        async def generate(self, messages, params):  # type: ignore[no-untyped-def]
            self.calls += 1
            if self.calls == 1:
                raise TargetError("rate_limit", "429", retryable=True, retry_after=0.0, status=429)
            return TargetResponse(text='{"final": "1050"}', usage={"total_tokens": 5})

    settings = RunnerSettings(retry=RetryPolicy(max_attempts=3, base_s=0.001))
    trajectory = asyncio.run(
        run_episode(Flaky([""]), _episode(), GenerateParams(), AgentLimits(), settings)
    )
    assert trajectory.status == "done" and trajectory.steps[0].attempts == 2


@given(st.text(max_size=200))
def test_the_parser_never_raises(text: str) -> None:
    assert isinstance(parse_action(text), ToolAction | FinalAction | ParseError)


def test_a_crashing_tool_ends_the_episode_as_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    env = get_environment("banking")
    tool = env.tool("get_balance")
    assert tool is not None

    def broken(state: object) -> float:
        raise KeyError("balance")

    monkeypatch.setattr(tool, "function", broken)
    trajectory = _run(ScriptedReplies(['{"tool": "get_balance", "arguments": {}}']))
    assert trajectory.status == "error"
    assert trajectory.steps[-1].error_kind == "environment"
    assert "KeyError" in (trajectory.steps[-1].error or "")
