"""The text protocol: how a target without native tool calling acts, one JSON action a turn.

Each reply must be exactly one JSON object, either

    {"tool": "<tool name>", "arguments": {...}}     to call a tool, or
    {"final": "<answer to the user>"}                to finish.

Surrounding whitespace and one enclosing Markdown code fence (```json ... ```) are allowed;
anything else is a parse error: the reply is recorded as such and the agent is told why, and
nothing is guessed from it (no JSON fished out of prose, no repaired brackets, no first-of-two).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from safetyloop.targets import ToolSpec

__all__ = ["FinalAction", "ParseError", "ToolAction", "parse_action", "protocol_prompt"]

_FENCE = re.compile(r"^```(?:json|JSON)?[ \t]*\n(.*)\n```$", re.DOTALL)


@dataclass(frozen=True)
class ToolAction:
    tool: str
    arguments: dict[str, Any]


@dataclass(frozen=True)
class FinalAction:
    answer: str


@dataclass(frozen=True)
class ParseError:
    reason: str


def parse_action(text: str) -> ToolAction | FinalAction | ParseError:
    """Read one reply under the text protocol."""
    body = text.strip()
    fenced = _FENCE.match(body)
    if fenced:
        body = fenced.group(1).strip()
    if not body:
        return ParseError("the reply is empty")
    try:
        value, end = json.JSONDecoder().raw_decode(body)
    except json.JSONDecodeError as exc:
        return ParseError(f"not JSON: {exc.msg} at character {exc.pos}")
    if body[end:].strip():
        return ParseError("text after the JSON object (send exactly one object)")
    if not isinstance(value, dict):
        return ParseError(f"the action is a JSON {type(value).__name__}, not an object")
    keys = set(value)
    if keys == {"final"}:
        if not isinstance(value["final"], str):
            return ParseError("'final' must be a string")
        return FinalAction(value["final"])
    if "tool" in keys and keys <= {"tool", "arguments"}:
        if not isinstance(value["tool"], str) or not value["tool"]:
            return ParseError("'tool' must be a tool's name")
        arguments = value.get("arguments", {})
        if not isinstance(arguments, dict):
            return ParseError("'arguments' must be a JSON object")
        return ToolAction(value["tool"], arguments)
    if "final" in keys and "tool" in keys:
        return ParseError("an action has either 'tool' or 'final', not both")
    return ParseError(
        f"unexpected keys {sorted(keys)} (an action is {{'tool', 'arguments'}} or {{'final'}})"
    )


def protocol_prompt(tools: Sequence[ToolSpec]) -> str:
    """The system-prompt section that teaches the protocol and lists the tools."""
    listing = "\n".join(
        f"- {t.name}: {t.description}\n  arguments (JSON schema): "
        f"{json.dumps(t.parameters, separators=(',', ':'))}"
        for t in tools
    )
    return (
        "You can use tools. Reply with exactly one JSON object and nothing else:\n"
        '{"tool": "<tool name>", "arguments": {...}} to call a tool (its result comes back '
        "in the next message), or\n"
        '{"final": "<your answer to the user>"} when the task is done.\n'
        f"Tools:\n{listing}"
    )


def correction(reason: str) -> str:
    """What the agent is told after a reply that was not a valid action."""
    return (
        f"Your reply was not a valid action ({reason}). Reply with exactly one JSON object: "
        '{"tool": "<name>", "arguments": {...}} or {"final": "<answer>"}.'
    )
