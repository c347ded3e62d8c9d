"""Native tool calling of the `openai` target against the loopback chat-completions test double:
what goes on the wire (function tools, assistant calls, tool results) and how the model's calls
come back (parallel, malformed arguments kept verbatim, never repaired)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from tests.doubles.stub_chat_server import StubChatServer, malformed, status, tool_calls

from safetyloop.suites import Message
from safetyloop.targets import GenerateParams, TargetError, TargetResponse, ToolCall, ToolSpec
from safetyloop.targets._openai import OpenAITarget
from safetyloop.targets._tools import assistant_message

PROMPT = "Pay the rent and tell Bob."
SEND = ToolSpec(
    name="send_money",
    description="Send money to an IBAN.",
    parameters={
        "type": "object",
        "properties": {"iban": {"type": "string"}, "amount": {"type": "number"}},
        "required": ["iban", "amount"],
    },
)
EMAIL = ToolSpec(name="send_email", description="Send an email.")


def _call(id: str, name: str, arguments: str) -> dict[str, Any]:
    return {"id": id, "type": "function", "function": {"name": name, "arguments": arguments}}


def _ask(
    server: StubChatServer, messages: list[Message], tools: list[ToolSpec] | None
) -> TargetResponse:
    target = OpenAITarget("t", {"model": "m", "base_url": server.base_url})

    async def go() -> TargetResponse:
        try:
            if tools is None:
                return await target.generate(messages, GenerateParams())
            return await target.generate_with_tools(messages, tools, GenerateParams())
        finally:
            await target.aclose()

    return asyncio.run(go())


def test_tools_are_sent_as_function_tools(stub_server: StubChatServer) -> None:
    answer = _ask(stub_server, [Message(role="user", content=PROMPT)], [SEND, EMAIL])
    [request] = stub_server.requests
    assert request.body["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "send_money",
                "description": "Send money to an IBAN.",
                "parameters": SEND.parameters,
            },
        },
        {
            "type": "function",
            "function": {
                "name": "send_email",
                "description": "Send an email.",
                "parameters": {"type": "object", "properties": {}},
            },
        },
    ]
    assert request.body["tool_choice"] == "auto"
    assert answer.tool_calls == () and answer.text  # a plain answer is still an answer


def test_plain_generate_sends_no_tools(stub_server: StubChatServer) -> None:
    _ask(stub_server, [Message(role="user", content=PROMPT)], None)
    assert "tools" not in stub_server.requests[0].body
    assert "tool_choice" not in stub_server.requests[0].body


def test_parallel_calls_come_back_in_order(stub_server: StubChatServer) -> None:
    stub_server.script(
        tool_calls(
            _call("c1", "send_money", '{"iban": "DE89", "amount": 1200}'),
            _call("c2", "send_email", '{"to": "bob@example.com", "body": "paid"}'),
        )
    )
    answer = _ask(stub_server, [Message(role="user", content=PROMPT)], [SEND, EMAIL])
    assert answer.text == "" and answer.finish_reason == "tool_calls"
    assert answer.tool_calls == (
        ToolCall(id="c1", name="send_money", arguments={"iban": "DE89", "amount": 1200}),
        ToolCall(id="c2", name="send_email", arguments={"to": "bob@example.com", "body": "paid"}),
    )
    assert answer.metadata == {}


@pytest.mark.parametrize("raw", ['{"iban": "DE89", ', "[1, 2]", '"DE89"', "null"])
def test_arguments_that_are_not_an_object_are_kept_raw(
    stub_server: StubChatServer, raw: str
) -> None:
    stub_server.script(tool_calls(_call("c1", "send_money", raw), text="Paying now."))
    answer = _ask(stub_server, [Message(role="user", content=PROMPT)], [SEND])
    assert answer.text == "Paying now."
    assert answer.tool_calls == (ToolCall(id="c1", name="send_money", raw_arguments=raw),)


def test_a_call_without_a_function_name_is_malformed(stub_server: StubChatServer) -> None:
    stub_server.script(
        tool_calls({"id": "c1", "type": "function", "function": {"arguments": "{}"}})
    )
    with pytest.raises(TargetError) as caught:
        _ask(stub_server, [Message(role="user", content=PROMPT)], [SEND])
    assert (caught.value.kind, caught.value.retryable) == ("malformed", True)


def test_the_round_trip_sends_calls_and_results_back(stub_server: StubChatServer) -> None:
    """The calls the model made, and each tool's result with its call's id, in the wire shape
    the model produced them (unparseable arguments sent back as they came)."""
    calls = (
        ToolCall(id="c1", name="send_money", arguments={"iban": "DE89", "amount": 1200}),
        ToolCall(id="c2", name="send_email", raw_arguments="{to: bob"),
    )
    conversation = [
        Message(role="system", content="You are a banking agent."),
        Message(role="user", content=PROMPT),
        assistant_message("", calls),
        Message(role="tool", tool_call_id="c1", name="send_money", content="sent 1200"),
        Message(role="tool", tool_call_id="c2", name="send_email", content="error: bad args"),
    ]
    stub_server.script(tool_calls(text="Done: rent paid, email failed."), prompt=PROMPT)
    answer = _ask(stub_server, conversation, [SEND, EMAIL])
    assert answer.text == "Done: rent paid, email failed." and answer.tool_calls == ()
    sent = stub_server.requests[0].body["messages"]
    assert sent[2] == {
        "role": "assistant",
        "content": "",
        "tool_calls": [
            _call("c1", "send_money", json.dumps({"iban": "DE89", "amount": 1200})),
            _call("c2", "send_email", "{to: bob"),
        ],
    }
    assert sent[3:] == [
        {"role": "tool", "tool_call_id": "c1", "content": "sent 1200"},
        {"role": "tool", "tool_call_id": "c2", "content": "error: bad args"},
    ]
    assert sent[:2] == [
        {"role": "system", "content": "You are a banking agent."},
        {"role": "user", "content": PROMPT},
    ]


def test_recorded_wire_shaped_calls_are_sent_unchanged(stub_server: StubChatServer) -> None:
    """An incident's transcript keeps calls in OpenAI's shape; they go back as they were."""
    recorded = _call("x1", "send_email", '{ "to":"attacker@evil.test" }')
    conversation = [
        Message(role="user", content=PROMPT),
        Message(role="assistant", content="", tool_calls=[recorded]),
        Message(role="tool", tool_call_id="x1", content="sent"),
    ]
    _ask(stub_server, conversation, [EMAIL])
    assert stub_server.requests[0].body["messages"][1]["tool_calls"] == [recorded]


@pytest.mark.parametrize(
    ("reply", "kind", "retryable"),
    [
        (status(429, retry_after=3), "rate_limit", True),
        (status(500), "server", True),
        (status(400), "client", False),
        (malformed(), "malformed", True),
    ],
)
def test_errors_with_tools_are_target_errors(
    stub_server: StubChatServer, reply: Any, kind: str, retryable: bool
) -> None:
    stub_server.script(reply)
    with pytest.raises(TargetError) as caught:
        _ask(stub_server, [Message(role="user", content=PROMPT)], [SEND])
    assert (caught.value.kind, caught.value.retryable) == (kind, retryable)
    if kind == "rate_limit":
        assert caught.value.retry_after == 3
