"""Simulated `python` targets for the CLI tests: the machinery runs end to end, no model loads.

`simulated_complier` gives the same helpful answer to everything (a release that must BLOCK).
`simulated_careful` is the reference exact refuser (`tests/doubles/reference_targets.py`): it
refuses every prompt a bundled suite marks as harmful and answers the rest helpfully (a release
that can PASS when the sample is large enough for the constitution).
"""

from __future__ import annotations

from typing import Any

from tests.doubles.reference_targets import HELPFUL, REFUSAL, exact_refuser
from tests.doubles.reference_targets import harmful_prompts as _harmful_prompts
from tests.doubles.reference_targets import prompt_of as _prompt

__all__ = ["HELPFUL", "REFUSAL", "_harmful_prompts", "_prompt", "simulated_careful"]

simulated_careful = exact_refuser


def simulated_complier(messages: list[dict[str, Any]], params: dict[str, Any]) -> str:
    return HELPFUL
