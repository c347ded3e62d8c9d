"""Native tool calling end to end against a real OpenAI-compatible server: llama.cpp
(llama-cpp-python's server with the `chatml-function-calling` chat format) serving SmolLM2.

The loopback double proves how we read every shape of `tool_calls`; this proves a real server
receives our `tools`, answers with `tool_calls` we parse into `ToolCall`s, and accepts the
round trip (our assistant turn with its calls and the `tool` result) without a protocol error.
The format constrains the call's arguments to the tool's JSON schema with a grammar, so the
135M model's call is well formed; what it does after the result is up to the model.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from tests.integration.test_openai_llama_server import serving

from safetyloop.suites import Message
from safetyloop.targets import GenerateParams, TargetResponse, ToolSpec
from safetyloop.targets._openai import OpenAITarget
from safetyloop.targets._tools import assistant_message

pytestmark = pytest.mark.slow

WEATHER = ToolSpec(
    name="get_weather",
    description="Get the current weather in a city.",
    parameters={
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
    },
)
QUESTION = Message(role="user", content="What is the weather in Paris? Use the get_weather tool.")


@pytest.fixture(scope="module")
def tool_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """llama.cpp's server with a tool-calling chat format; the base URL, stopped afterwards."""
    log = tmp_path_factory.mktemp("llama-tools") / "server.log"
    with serving(log, "--chat_format", "chatml-function-calling") as base_url:
        yield f"{base_url}/v1"


def _ask(base_url: str, messages: list[Message]) -> TargetResponse:
    target = OpenAITarget("llama", {"model": "smollm2", "base_url": base_url})

    async def go() -> TargetResponse:
        try:
            return await target.generate_with_tools(
                messages, [WEATHER], GenerateParams(max_tokens=64)
            )
        finally:
            await target.aclose()

    return asyncio.run(go())


def test_llama_cpp_calls_a_tool_and_takes_its_result(tool_server: str) -> None:
    first = _ask(tool_server, [QUESTION])
    assert first.finish_reason == "tool_calls", first
    [call] = first.tool_calls
    assert call.name == "get_weather"
    assert call.raw_arguments is None and isinstance(call.arguments.get("city"), str)
    assert call.id

    result = Message(role="tool", tool_call_id=call.id, name=call.name, content="18 C, sunny")
    second = _ask(tool_server, [QUESTION, assistant_message(first.text, first.tool_calls), result])
    # the server took the round trip; the model either answers or calls again, validly
    assert second.text.strip() or second.tool_calls
    assert all(c.name == "get_weather" and c.raw_arguments is None for c in second.tool_calls)
