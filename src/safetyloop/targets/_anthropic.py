"""`anthropic`: Anthropic's Messages API over HTTP (`POST {base_url}/v1/messages`), tool use
included. No SDK: the wire format is small, and the same httpx client, timeouts, error kinds and
redaction as the `openai` target keep the runner's retries identical for both."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from typing import Any

import httpx

from safetyloop._redact import redact
from safetyloop.suites import Message
from safetyloop.targets._http import HttpTarget
from safetyloop.targets._registry import target_kind
from safetyloop.targets._target import (
    GenerateParams,
    Target,
    TargetError,
    TargetResponse,
)
from safetyloop.targets._tools import ToolCall, ToolSpec, message_tool_calls

DEFAULT_BASE_URL = "https://api.anthropic.com"
API_VERSION = "2023-06-01"


class AnthropicTarget(HttpTarget):
    """Claude models through the Messages API. The key is read at request time from the
    environment variable `api_key_env` (default ANTHROPIC_API_KEY) and never stored.

    System messages become the top-level `system` field; tool results (`tool` messages) become
    `tool_result` blocks of a user turn, consecutive ones merged into one turn as the API wants
    for parallel calls; with tools, the reply's `tool_calls` are its `tool_use` blocks, in order.
    429, 5xx and 529 (overloaded) are retryable, with Retry-After.
    """

    kind = "anthropic"
    supports_tools = True
    default_key_env = "ANTHROPIC_API_KEY"

    def __init__(self, name: str, params: dict[str, Any]) -> None:
        super().__init__(name, params, str(params.get("base_url", DEFAULT_BASE_URL)))

    def _headers(self) -> dict[str, str]:
        headers = {"anthropic-version": API_VERSION}
        key = os.environ.get(self.config["api_key_env"])
        if key:
            headers["x-api-key"] = key
        return headers

    async def _complete(
        self,
        messages: Sequence[Message],
        tools: Sequence[ToolSpec] | None,
        params: GenerateParams,
    ) -> TargetResponse:
        system, turns = wire_messages(messages)
        body: dict[str, Any] = {
            "model": self.config["model"],
            "max_tokens": params.max_tokens,
            "temperature": params.temperature,
            "messages": turns,
        }
        if params.top_p < 1.0:
            body["top_p"] = params.top_p
        if system:
            body["system"] = system
        if tools:
            body["tools"] = [wire_tool(tool) for tool in tools]
        response = await self._post("/v1/messages", body)
        return _parse_message(response, self.secrets())


def wire_tool(tool: ToolSpec) -> dict[str, Any]:
    """A tool as the Messages API takes it."""
    return {"name": tool.name, "description": tool.description, "input_schema": tool.parameters}


def _blocks(message: Message) -> list[dict[str, Any]]:
    """One of our messages as Messages API content blocks."""
    if message.role == "tool":
        result = {"type": "tool_result", "tool_use_id": message.tool_call_id}
        return [{**result, "content": message.content}]
    blocks: list[dict[str, Any]] = []
    if message.content:
        blocks.append({"type": "text", "text": message.content})
    for call in message_tool_calls(message) if message.role == "assistant" else ():
        # arguments that were not a JSON object were never parsed: the model's call is sent
        # back with no input, as it was recorded, rather than a guess at what it meant
        blocks.append(
            {"type": "tool_use", "id": call.id, "name": call.name, "input": call.arguments}
        )
    return blocks


def wire_messages(messages: Sequence[Message]) -> tuple[str, list[dict[str, Any]]]:
    """(system prompt, turns): system messages joined into the top-level prompt; tool results
    sent as user turns; consecutive turns of one role merged (parallel results in one turn)."""
    system = "\n\n".join(m.content for m in messages if m.role == "system")
    turns: list[dict[str, Any]] = []
    for message in messages:
        if message.role == "system":
            continue
        role = "assistant" if message.role == "assistant" else "user"
        blocks = _blocks(message)
        if turns and turns[-1]["role"] == role:
            turns[-1]["content"].extend(blocks)
        else:
            turns.append({"role": role, "content": blocks})
    for turn in turns:
        content = turn["content"]
        if len(content) == 1 and content[0]["type"] == "text":
            turn["content"] = content[0]["text"]  # a plain text turn, as most requests have
    return system, turns


def _tool_use(block: dict[str, Any]) -> ToolCall:
    if not isinstance(block.get("id"), str) or not isinstance(block.get("name"), str):
        raise TypeError("a tool_use block without an id or a name")
    value = block.get("input", {})
    if isinstance(value, dict):
        return ToolCall(id=block["id"], name=block["name"], arguments=value)
    # the API decodes the input itself: anything but an object is kept as its JSON text
    return ToolCall(id=block["id"], name=block["name"], raw_arguments=json.dumps(value))


def _parse_message(response: httpx.Response, secrets: Sequence[str] = ()) -> TargetResponse:
    """A 200 answer → text and tool calls, or an error (malformed, empty or refused)."""
    try:
        payload = response.json()
        content = payload["content"]
        if not isinstance(content, list) or not all(isinstance(b, dict) for b in content):
            raise TypeError("content is not a list of blocks")
        texts = [b["text"] for b in content if b.get("type") == "text"]
        if not all(isinstance(t, str) for t in texts):
            raise TypeError("a text block without text")
        calls = tuple(_tool_use(b) for b in content if b.get("type") == "tool_use")
    except (ValueError, KeyError, TypeError) as exc:
        raise TargetError(
            "malformed",
            f"unparseable message: {redact(response.text, secrets)[:200]!r}",
            retryable=True,
        ) from exc
    stop = payload.get("stop_reason")
    if stop == "refusal":
        raise TargetError(
            "blocked", "the provider's classifiers stopped the reply", retryable=False
        )
    text = "".join(texts)
    if not text.strip() and not calls:
        raise TargetError("empty", "the provider returned no content", retryable=True)
    raw_usage = payload.get("usage") or {}
    usage: dict[str, int] = {}
    if isinstance(raw_usage.get("input_tokens"), int):
        usage["prompt_tokens"] = raw_usage["input_tokens"]
    if isinstance(raw_usage.get("output_tokens"), int):
        usage["completion_tokens"] = raw_usage["output_tokens"]
    if len(usage) == 2:
        usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
    return TargetResponse(text=text, finish_reason=stop, usage=usage, tool_calls=calls)


@target_kind("anthropic", params=("model", "base_url", "api_key_env", "concurrency", "timeout_s"))
def _create(name: str, params: dict[str, Any]) -> Target:
    return AnthropicTarget(name, params)
