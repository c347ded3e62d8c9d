"""Simulated `python` targets for tests of the target machinery (never used for real numbers).

`CALLS` records every prompt the simulated targets receive, so a test can prove a safeguard
answered without calling the inner target.
"""

from __future__ import annotations

from typing import Any

CALLS: list[str] = []


def _last_user(messages: list[dict[str, Any]]) -> str:
    return next((m["content"] for m in reversed(messages) if m["role"] == "user"), "")


def simulated_echo(messages: list[dict[str, Any]], params: dict[str, Any]) -> str:
    """Answers `echo: <prompt>` and records the call."""
    prompt = _last_user(messages)
    CALLS.append(prompt)
    return f"echo: {prompt}"


async def simulated_async_echo(messages: list[dict[str, Any]], params: dict[str, Any]) -> str:
    """The async form of `simulated_echo`."""
    return simulated_echo(messages, params)


def simulated_raises(messages: list[dict[str, Any]], params: dict[str, Any]) -> str:
    raise RuntimeError("pipeline exploded")


def simulated_returns_dict(messages: list[dict[str, Any]], params: dict[str, Any]) -> Any:
    return {"text": "not a string"}


def simulated_returns_blank(messages: list[dict[str, Any]], params: dict[str, Any]) -> str:
    return "   \n"


NOT_CALLABLE = "a string, not a function"
