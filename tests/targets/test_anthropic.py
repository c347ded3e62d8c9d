"""The `anthropic` target against a loopback test double of the Messages API: the request it
sends, text answers, a tool-use round trip, every error kind, Retry-After through the runner,
and a planted key that never reaches the store or the output."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from tests.cli.invoking import Invoke
from tests.constitutions import one_principle
from tests.doubles.anthropic_messages_double import (
    AnthropicMessagesDouble,
    Reply,
    block,
    malformed,
    message,
    status,
    text,
    tool_use,
)
from tests.engine.test_runner_faults import FAST, MemorySink, make_case

from safetyloop.engine import Runner, RunnerSettings
from safetyloop.errors import InputError
from safetyloop.suites import Message
from safetyloop.targets import (
    GenerateParams,
    TargetError,
    TargetResponse,
    ToolCall,
    ToolSpec,
    create_target,
    parse_target_spec,
)
from safetyloop.targets._anthropic import AnthropicTarget
from safetyloop.targets._tools import assistant_message

KEY = "sk-ant-PLANTED-5c4b3a"
SEND = ToolSpec(
    name="send_money",
    description="Send money to an IBAN.",
    parameters={"type": "object", "properties": {"iban": {"type": "string"}}},
)
EMAIL = ToolSpec(name="send_email", description="Send an email.")
USER = Message(role="user", content="Pay the rent and tell Bob.")


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> Iterator[AnthropicMessagesDouble]:
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    with AnthropicMessagesDouble() as double:
        yield double


def _ask(
    api: AnthropicMessagesDouble,
    messages: Sequence[Message],
    tools: Sequence[ToolSpec] | None = None,
    params: GenerateParams | None = None,
) -> TargetResponse:
    target = AnthropicTarget("claude", {"model": "claude-test", "base_url": api.base_url})
    params = params or GenerateParams()

    async def go() -> TargetResponse:
        try:
            if tools is None:
                return await target.generate(messages, params)
            return await target.generate_with_tools(messages, tools, params)
        finally:
            await target.aclose()

    return asyncio.run(go())


def test_a_text_answer_and_the_request_that_asked_for_it(api: AnthropicMessagesDouble) -> None:
    conversation = [
        Message(role="system", content="Be brief."),
        Message(role="system", content="Answer in English."),
        USER,
    ]
    answer = _ask(api, conversation, params=GenerateParams(max_tokens=33, temperature=0.5))
    assert answer.text == f"echo: {USER.content}"
    assert answer.finish_reason == "end_turn" and answer.tool_calls == ()
    assert answer.usage == {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18}
    [request] = api.requests
    assert request.headers["x-api-key"] == KEY
    assert request.headers["anthropic-version"] == "2023-06-01"
    assert request.body == {
        "model": "claude-test",
        "max_tokens": 33,
        "temperature": 0.5,
        "system": "Be brief.\n\nAnswer in English.",
        "messages": [{"role": "user", "content": USER.content}],
    }


def test_the_key_comes_from_the_configured_variable(
    api: AnthropicMessagesDouble, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    monkeypatch.setenv("TEAM_CLAUDE_KEY", KEY)
    target = create_target(
        "anthropic", "c", {"model": "m", "base_url": api.base_url, "api_key_env": "TEAM_CLAUDE_KEY"}
    )
    assert KEY not in str(target.describe())
    answer = asyncio.run(target.generate([USER], GenerateParams()))
    assert answer.text.startswith("echo:")
    assert api.requests[0].headers["x-api-key"] == KEY


def test_a_missing_key_is_a_client_error(
    api: AnthropicMessagesDouble, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    with pytest.raises(TargetError) as caught:
        _ask(api, [USER])
    assert (caught.value.kind, caught.value.status, caught.value.retryable) == (
        "client",
        401,
        False,
    )


def test_a_tool_use_round_trip(api: AnthropicMessagesDouble) -> None:
    """Parallel tool_use blocks come back as ToolCalls; the calls and their results go back as
    tool_use blocks and one user turn of tool_result blocks (the double refuses anything else)."""
    api.script(
        tool_use(
            block("toolu_1", "send_money", {"iban": "DE89"}),
            block("toolu_2", "send_email", {"to": "bob@example.com"}),
            say="Paying, then emailing.",
        )
    )
    first = _ask(api, [USER], [SEND, EMAIL])
    assert first.text == "Paying, then emailing." and first.finish_reason == "tool_use"
    assert first.tool_calls == (
        ToolCall(id="toolu_1", name="send_money", arguments={"iban": "DE89"}),
        ToolCall(id="toolu_2", name="send_email", arguments={"to": "bob@example.com"}),
    )
    assert api.requests[0].body["tools"] == [
        {"name": "send_money", "description": SEND.description, "input_schema": SEND.parameters},
        {
            "name": "send_email",
            "description": EMAIL.description,
            "input_schema": {"type": "object", "properties": {}},
        },
    ]

    conversation = [
        USER,
        assistant_message(first.text, first.tool_calls),
        Message(role="tool", tool_call_id="toolu_1", name="send_money", content="sent"),
        Message(role="tool", tool_call_id="toolu_2", name="send_email", content="delivered"),
    ]
    second = _ask(api, conversation, [SEND, EMAIL])
    assert second.text == "tool results: sent; delivered" and second.tool_calls == ()
    assert api.requests[1].body["messages"][1:] == [
        {
            "role": "assistant",
            "content": [
                {"type": "text", "text": "Paying, then emailing."},
                {
                    "type": "tool_use",
                    "id": "toolu_1",
                    "name": "send_money",
                    "input": {"iban": "DE89"},
                },
                {
                    "type": "tool_use",
                    "id": "toolu_2",
                    "name": "send_email",
                    "input": {"to": "bob@example.com"},
                },
            ],
        },
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "toolu_1", "content": "sent"},
                {"type": "tool_result", "tool_use_id": "toolu_2", "content": "delivered"},
            ],
        },
    ]


def test_a_tool_input_that_is_not_an_object_is_kept_raw(api: AnthropicMessagesDouble) -> None:
    api.script(tool_use(block("toolu_1", "send_money", "DE89")))
    answer = _ask(api, [USER], [SEND])
    assert answer.tool_calls == (ToolCall(id="toolu_1", name="send_money", raw_arguments='"DE89"'),)


@pytest.mark.parametrize(
    ("reply", "kind", "retryable", "retry_after"),
    [
        (status(429, retry_after=7), "rate_limit", True, 7.0),
        (status(529), "server", True, None),
        (status(503, retry_after=2), "server", True, 2.0),
        (status(500), "server", True, None),
        (status(400), "client", False, None),
        (malformed(), "malformed", True, None),
        (Reply(body={"type": "message", "content": "not blocks"}), "malformed", True, None),
        (message(), "empty", True, None),
        (message({"type": "text", "text": ""}, stop_reason="refusal"), "blocked", False, None),
        (tool_use({"type": "tool_use", "input": {}}), "malformed", True, None),
    ],
)
def test_errors_are_target_errors(
    api: AnthropicMessagesDouble,
    reply: Reply,
    kind: str,
    retryable: bool,
    retry_after: float | None,
) -> None:
    api.script(reply)
    with pytest.raises(TargetError) as caught:
        _ask(api, [USER], [SEND])
    assert (caught.value.kind, caught.value.retryable) == (kind, retryable)
    assert caught.value.retry_after == retry_after


async def test_the_runner_honours_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    """Backoff alone would wait at most 0.05 s; the 429's Retry-After makes it wait 1 s."""
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    with AnthropicMessagesDouble() as api:
        api.script(status(429, retry_after=1), text("finally"))
        target = AnthropicTarget("claude", {"model": "m", "base_url": api.base_url})
        sink = MemorySink()
        runner = Runner(
            target,
            GenerateParams(),
            sink,
            "run-anthropic",
            cache=sink,
            settings=RunnerSettings(timeout_s=10, retry=FAST),
        )
        [result] = await runner.run([make_case("busy")])
        await target.aclose()
    assert result.status == "ok" and result.response == "finally"
    assert [a.outcome for a in result.attempts] == ["rate_limit", "ok"]
    assert result.attempts[0].wait_s >= 1.0


CONSTITUTION = one_principle("secrets", threshold=0.6, min_samples=3)


def test_a_planted_key_is_never_stored_or_printed(
    api: AnthropicMessagesDouble, tmp_path: Path, invoke: Invoke
) -> None:
    """The provider echoes the key in its 401 body; the store and the output never hold it."""
    echo = f'{{"type": "error", "error": {{"message": "invalid x-api-key: {KEY}"}}}}'
    api.script(*[status(401, body=echo)] * 3)
    constitution = tmp_path / "c.yaml"
    constitution.write_text(CONSTITUTION, encoding="utf-8")
    targets = tmp_path / "targets.yaml"
    targets.write_text(
        "targets:\n  - name: claude\n    kind: anthropic\n"
        f"    params: {{model: claude-test, base_url: '{api.base_url}'}}\n",
        encoding="utf-8",
    )
    db = tmp_path / "store.db"
    store = ["--store", f"sqlite:///{db}"]
    target = ["--target", "claude", "--targets-file", str(targets)]
    ran = invoke(
        "run", "-c", str(constitution), "--sample", "3", "--attempts", "1", *target, *store
    )
    assert "3 errors" in ran.out, (ran.out, ran.err)
    assert len(api.requests) == 3
    run_id = ran.out.split("run ", 1)[1].split()[0]
    shown = invoke("runs", "show", run_id, *store)
    assert "invalid x-api-key" in shown.out, shown.out
    found = db.read_bytes().count(KEY.encode()) + sum(
        (r.out + r.err).count(KEY) for r in (ran, shown)
    )
    assert found == 0


def test_the_command_line_spec() -> None:
    plain = parse_target_spec("anthropic:claude-test")
    assert (plain.kind, plain.params) == ("anthropic", {"model": "claude-test"})
    local = parse_target_spec("anthropic:claude-test@http://127.0.0.1:9")
    assert local.params == {"model": "claude-test", "base_url": "http://127.0.0.1:9"}
    with pytest.raises(InputError):
        parse_target_spec("anthropic:claude-test@ftp://host")
