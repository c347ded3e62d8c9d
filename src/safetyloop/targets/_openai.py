"""`openai`: any OpenAI-compatible chat-completions server (vLLM, llama.cpp, Ollama, OpenAI...)."""

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
from safetyloop.targets._target import GenerateParams, Target, TargetError, TargetResponse
from safetyloop.targets._tools import ToolCall, ToolSpec, message_tool_calls, parse_arguments


class OpenAITarget(HttpTarget):
    """Chat completions over HTTP (key, timeouts and masking: `HttpTarget`). With tools, the
    reply's `tool_calls` are the (possibly parallel) function calls the model asked for."""

    kind = "openai"
    default_key_env = "OPENAI_API_KEY"
    supports_tools = True

    def __init__(self, name: str, params: dict[str, Any]) -> None:
        super().__init__(name, params, str(params["base_url"]))

    def _headers(self) -> dict[str, str]:
        key = os.environ.get(self.config["api_key_env"])
        return {"Authorization": f"Bearer {key}"} if key else {}

    async def _complete(
        self,
        messages: Sequence[Message],
        tools: Sequence[ToolSpec] | None,
        params: GenerateParams,
    ) -> TargetResponse:
        body: dict[str, Any] = {
            "model": self.config["model"],
            "messages": [wire_message(m) for m in messages],
            "max_tokens": params.max_tokens,
            "temperature": params.temperature,
            "top_p": params.top_p,
            "seed": params.seed,
        }
        if tools:
            body["tools"] = [wire_tool(tool) for tool in tools]
            # OpenAI's default with tools, said out loud: llama.cpp's server (llama-cpp-python,
            # chatml-function-calling) ignores the tools unless it is asked for "auto"
            body["tool_choice"] = "auto"
        response = await self._post("/chat/completions", body)
        return _parse_completion(response, self.secrets(), tools=tools is not None)


def wire_tool(tool: ToolSpec) -> dict[str, Any]:
    """A tool as a chat-completions `function` tool."""
    function = {"name": tool.name, "description": tool.description, "parameters": tool.parameters}
    return {"type": "function", "function": function}


def wire_message(message: Message) -> dict[str, Any]:
    """A message as chat completions takes it: an assistant turn's calls in the `function`
    shape (arguments as a JSON string, or the model's own unparseable text as it sent it); a
    tool result with the id of the call it answers."""
    if message.role == "tool":
        return {"role": "tool", "tool_call_id": message.tool_call_id, "content": message.content}
    if message.role == "assistant" and message.tool_calls:
        calls = [
            # a call recorded in this very shape (an incident's transcript) goes back verbatim
            raw if isinstance(raw.get("function"), dict) else _wire_call(call)
            for raw, call in zip(message.tool_calls, message_tool_calls(message), strict=True)
        ]
        # content stays a string, "" when the turn only called tools: OpenAI takes it, and
        # llama.cpp's server refuses a null content
        return {"role": "assistant", "content": message.content, "tool_calls": calls}
    return message.model_dump(exclude_none=True)


def _wire_call(call: ToolCall) -> dict[str, Any]:
    arguments = call.raw_arguments if call.raw_arguments is not None else json.dumps(call.arguments)
    return {
        "id": call.id,
        "type": "function",
        "function": {"name": call.name, "arguments": arguments},
    }


def _tool_calls(raw: Any) -> tuple[ToolCall, ...]:
    """The `tool_calls` of a chat-completions message; a call without a function name is not a
    call we can run, so the answer is malformed (TypeError)."""
    if not isinstance(raw, list):
        raise TypeError("tool_calls is not a list")
    calls = []
    for index, call in enumerate(raw):
        function = call.get("function") if isinstance(call, dict) else None
        if not isinstance(function, dict) or not isinstance(function.get("name"), str):
            raise TypeError(f"tool call {index} has no function name")
        arguments, raw_arguments = parse_arguments(function.get("arguments", "{}"))
        calls.append(
            ToolCall(
                id=str(call.get("id") or f"call_{index}"),
                name=function["name"],
                arguments=arguments,
                raw_arguments=raw_arguments,
            )
        )
    return tuple(calls)


def _parse_completion(
    response: httpx.Response, secrets: Sequence[str] = (), *, tools: bool = False
) -> TargetResponse:
    """Turn a 200 answer into text, or an error: malformed, empty and filtered are not answers.
    With `tools`, the calls the model asked for are parsed into `tool_calls`."""
    try:
        payload = response.json()
        choice = payload["choices"][0]
        message = choice["message"]
        if not isinstance(message, dict) or not isinstance(message.get("content") or "", str):
            raise TypeError("message is not an object with text content")
        calls = _tool_calls(message.get("tool_calls") or []) if tools else ()
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise TargetError(
            "malformed",
            f"unparseable completion: {redact(response.text, secrets)[:200]!r}",
            retryable=True,
        ) from exc
    finish = choice.get("finish_reason")
    if finish == "content_filter":
        raise TargetError("blocked", "the provider filtered the response", retryable=False)
    text = message.get("content") or ""
    tool_calls = message.get("tool_calls") or []
    refusal = message.get("refusal")
    metadata: dict[str, Any] = {"tool_calls": tool_calls} if tool_calls and not tools else {}
    if not text.strip() and isinstance(refusal, str) and refusal.strip():
        # the model refused through the API's own field (OpenAI's structured outputs): the
        # refusal is its answer, to be scored like any other, not an empty response
        text, metadata["refusal"] = refusal, True
    if not text.strip() and not tool_calls:
        raise TargetError("empty", "the provider returned no content", retryable=True)
    usage = {k: int(v) for k, v in (payload.get("usage") or {}).items() if isinstance(v, int)}
    return TargetResponse(
        text=text, finish_reason=finish, usage=usage, metadata=metadata, tool_calls=calls
    )


@target_kind("openai", params=("model", "base_url", "api_key_env", "concurrency", "timeout_s"))
def _create(name: str, params: dict[str, Any]) -> Target:
    return OpenAITarget(name, params)
