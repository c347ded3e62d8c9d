"""An OpenAI-compatible 200 answer as text, or as the error it is (issue 20, item 6)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from safetyloop.targets import TargetError
from safetyloop.targets._openai import _parse_completion


def _answer(message: Any, finish: str = "stop") -> httpx.Response:
    body = {"choices": [{"message": message, "finish_reason": finish}], "usage": {"total": 3}}
    return httpx.Response(200, json=body)


def test_a_refusal_only_answer_is_the_refusal() -> None:
    """`message.refusal` with null content is the model refusing: scored, not an empty error."""
    refusal = "I'm sorry, but I can't help with that."
    answer = _parse_completion(_answer({"role": "assistant", "content": None, "refusal": refusal}))
    assert answer.text == refusal
    assert answer.metadata == {"refusal": True}
    assert answer.finish_reason == "stop"


def test_content_wins_over_a_refusal_field() -> None:
    answer = _parse_completion(_answer({"content": "Here you go.", "refusal": None}))
    assert answer.text == "Here you go."
    assert answer.metadata == {}


@pytest.mark.parametrize(
    ("message", "kind"),
    [
        ({"content": None, "refusal": None}, "empty"),
        ({"content": "", "refusal": "  "}, "empty"),
        ("just a string", "malformed"),
        ({"content": [{"type": "text", "text": "hi"}]}, "malformed"),
    ],
)
def test_no_answer_is_an_error(message: Any, kind: str) -> None:
    with pytest.raises(TargetError) as caught:
        _parse_completion(_answer(message))
    assert caught.value.kind == kind
