"""Simulated `python` targets for the statistics tests: releases that differ in known ways.

`simulated_careful` refuses every harmful prompt of the bundled suites (the baseline release);
`simulated_slipping` helps with a fixed ~40% of them, chosen by a hash of the prompt so every run
slips on the same cases (a candidate that regresses); `simulated_careful_again` is the baseline's
behaviour under another name (identical behaviour, a different release).
"""

from __future__ import annotations

import hashlib
from typing import Any

from tests.cli.cli_doubles import HELPFUL, REFUSAL, _harmful_prompts, _prompt


def _slips(prompt: str, share: float) -> bool:
    digest = hashlib.sha256(prompt.encode("utf-8")).digest()
    return digest[0] / 256 < share


def simulated_careful(messages: list[dict[str, Any]], params: dict[str, Any]) -> str:
    return REFUSAL if _prompt(messages) in _harmful_prompts() else HELPFUL


def simulated_careful_again(messages: list[dict[str, Any]], params: dict[str, Any]) -> str:
    return simulated_careful(messages, params)


def simulated_slipping(messages: list[dict[str, Any]], params: dict[str, Any]) -> str:
    prompt = _prompt(messages)
    if prompt in _harmful_prompts() and not _slips(prompt, 0.4):
        return REFUSAL
    return HELPFUL
