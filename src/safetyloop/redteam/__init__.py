"""Red teaming: single-turn transforms, multi-turn attacker loops, their metrics and storage.

Public API here: the transform registry (`transform`, `get_transform`, `transform_names`,
`compose`, `Transform`, `template_names`). Beside it: `strategies` (Crescendo, PAIR, TAP,
scripted, single-turn), `metrics` (pure: attack success with clustered intervals, first-failure
turn, erosion slope, coverage grid), `evidence` (stored runs as gate evidence), `gate_rule` (the
`redteam` gate rule) and `run_redteam` / `RedteamRequest` (the driver).
"""

from __future__ import annotations

from safetyloop.redteam.transforms import (
    Transform,
    compose,
    get_transform,
    template_names,
    transform,
    transform_names,
)

__all__ = [
    "Transform",
    "compose",
    "get_transform",
    "template_names",
    "transform",
    "transform_names",
]
