"""What a target sees of an agent's tools, and the calls it makes: the records shared by every
target that calls tools natively and by the agent loop that runs them."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from safetyloop.suites import Message


class ToolSpec(BaseModel):
    """One tool offered to a model: its name, what it does, and a JSON schema of its arguments."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    description: str
    parameters: dict[str, Any] = Field(default_factory=lambda: {"type": "object", "properties": {}})


class ToolCall(BaseModel):
    """One call a model asked for. `arguments` holds the parsed JSON object; when the model's
    arguments were not a JSON object, `arguments` is empty and `raw_arguments` keeps what it
    sent, so the loop records a parse error instead of guessing."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    name: str
    arguments: dict[str, Any] = Field(default_factory=dict)
    raw_arguments: str | None = None


def parse_arguments(raw: object) -> tuple[dict[str, Any], str | None]:
    """A call's arguments as a provider sent them → (`arguments`, `raw_arguments`).

    A JSON object (or an already decoded dict) is the arguments; anything else (bad JSON, a
    list, a number) is kept verbatim as `raw_arguments`, with no arguments: never repaired."""
    if isinstance(raw, dict):
        return dict(raw), None
    text = raw if isinstance(raw, str) else json.dumps(raw)
    try:
        value = json.loads(text)
    except ValueError:
        return {}, text
    return (value, None) if isinstance(value, dict) else ({}, text)


def message_tool_calls(message: Message) -> tuple[ToolCall, ...]:
    """The calls an assistant message carries. `Message.tool_calls` holds dicts of either shape:
    a `ToolCall` dump (`id`, `name`, `arguments`) or OpenAI's wire shape (`id`, `function`:
    {`name`, `arguments` as a JSON string}), as recorded incidents have them."""
    calls = []
    for index, call in enumerate(message.tool_calls or []):
        function = call.get("function")
        if isinstance(function, dict):
            name, raw = function.get("name"), function.get("arguments", "{}")
            arguments, raw_arguments = parse_arguments(raw)
        else:
            name = call.get("name")
            arguments = dict(call.get("arguments") or {})
            raw_arguments = call.get("raw_arguments")
        calls.append(
            ToolCall(
                id=str(call.get("id") or f"call_{index}"),
                name=str(name or ""),
                arguments=arguments,
                raw_arguments=raw_arguments,
            )
        )
    return tuple(calls)


def assistant_message(text: str, calls: Sequence[ToolCall]) -> Message:
    """The assistant turn that asked for `calls`, to send back with the tools' results (each a
    `Message(role="tool", tool_call_id=call.id, name=call.name, content=result)`)."""
    dumped = [call.model_dump(exclude_none=True) for call in calls]
    return Message(role="assistant", content=text, tool_calls=dumped or None)
