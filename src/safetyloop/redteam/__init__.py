"""Red teaming: single-turn transforms, multi-turn attacker loops, their metrics and storage.

Public API here: the transform registry (`transform`, `get_transform`, `transform_names`,
`compose`, `Transform`, `template_names`). Beside it: `strategies` (Crescendo, PAIR, TAP,
scripted, single-turn), `metrics` (pure: attack success with clustered intervals, first-failure
turn, erosion slope, coverage grid), `evidence` (stored runs as gate evidence), `gate_rule` (the
`redteam` gate rule) and `run_redteam` / `RedteamRequest` (the driver, exported here with the
`AttackSetRequest` it takes and the `Outcome` records it reports).
"""

from __future__ import annotations

from safetyloop.redteam._attackset import AttackSetRequest
from safetyloop.redteam._driver import RedteamRequest, run_redteam
from safetyloop.redteam._records import Outcome
from safetyloop.redteam.transforms import (
    Transform,
    compose,
    get_transform,
    template_names,
    transform,
    transform_names,
)

__all__ = [
    "AttackSetRequest",
    "Outcome",
    "RedteamRequest",
    "Transform",
    "compose",
    "get_transform",
    "run_redteam",
    "template_names",
    "transform",
    "transform_names",
]
