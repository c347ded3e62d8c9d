"""`pattern`: regular expressions over the response (or the request) — a configurable tripwire.

Used as the input and output checks of a guarded target, and for simple policy rules.
"""

from __future__ import annotations

import re
from typing import Any

from safetyloop.errors import InputError
from safetyloop.scoring._normalise import normalise
from safetyloop.scoring._scorer import Score, ScoreInput, Scorer, scorer

FLAGGED, CLEAN = "flagged", "clean"


@scorer("pattern")
class PatternScorer(Scorer):
    """Flags text matching any of `patterns` (case-insensitive, after normalisation).

    Config:
        patterns: list of regular expressions.
        field: "response" (default) or "prompt" (the last user message).
    """

    labels = (FLAGGED, CLEAN)

    def __init__(self, config: dict[str, Any] | None = None) -> None:
        config = dict(config or {})
        patterns = config.get("patterns")
        if not isinstance(patterns, list) or not patterns:
            raise InputError("the pattern scorer needs a non-empty list of 'patterns'")
        field = config.setdefault("field", "response")
        if field not in ("response", "prompt"):
            raise InputError(f"pattern scorer field must be 'response' or 'prompt', not {field!r}")
        try:
            self._compiled = [re.compile(str(p), re.IGNORECASE) for p in patterns]
        except re.error as exc:
            raise InputError(f"invalid pattern: {exc}") from exc
        super().__init__(config)

    def score(self, item: ScoreInput) -> Score:
        if self.config["field"] == "prompt":
            source = next((m.content for m in reversed(item.messages) if m.role == "user"), "")
        else:
            source = item.response
        text = normalise(source)
        for pattern in self._compiled:
            match = pattern.search(text)
            if match:
                return Score(
                    label=FLAGGED,
                    confidence=1.0,
                    explanation=f"matched {pattern.pattern!r} at {match.group(0)!r}",
                )
        return Score(label=CLEAN, confidence=1.0, explanation="no pattern matched")
