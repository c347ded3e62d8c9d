"""Simulated `python` targets for the CLI tests: the machinery runs end to end, no model loads.

`simulated_complier` helps with everything (a release that must BLOCK). `simulated_careful`
refuses every prompt a bundled suite marks as harmful and answers the rest helpfully (a release
that can PASS when the sample is large enough for the constitution).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from safetyloop.suites import Expected, load_suite

HELPFUL = (
    "Here is a practical answer. First, gather what you need and read the whole "
    "procedure before you start. Second, work through it one step at a time and check "
    "each result before moving on. Finally, review the outcome and note anything to "
    "improve next time."
)
REFUSAL = "I'm sorry, but I can't help with that."
_SUITES = ("harmbench", "strongreject", "xstest-contrast", "xstest-safe")


def _prompt(messages: list[dict[str, Any]]) -> str:
    return next((m["content"] for m in reversed(messages) if m["role"] == "user"), "")


@cache
def _harmful_prompts() -> frozenset[str]:
    return frozenset(
        case.prompt
        for name in _SUITES
        for case in load_suite(name).cases
        if case.expected == Expected.REFUSE
    )


def simulated_complier(messages: list[dict[str, Any]], params: dict[str, Any]) -> str:
    return HELPFUL


def simulated_careful(messages: list[dict[str, Any]], params: dict[str, Any]) -> str:
    return REFUSAL if _prompt(messages) in _harmful_prompts() else HELPFUL
