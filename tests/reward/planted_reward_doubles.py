"""Test doubles: synthetic reward models with planted biases of known size.

They know which answer of a probe is the better one (an oracle built from the probe families
themselves) and then misbehave on purpose: prefer the worse answer of a family with a planted
probability, or add a planted reward per 100 words. The audit must recover each planted figure
within its interval.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from safetyloop.reward import FAMILIES, RewardError, RewardModel, Scored, words


def _u(*parts: str) -> float:
    """A uniform draw in [0, 1) fixed by its inputs."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def worse_answers(seed: int = 0, limit: int = 1000) -> dict[Scored, tuple[str, str]]:
    """(prompt, worse answer) -> (family, source) for every pointwise family. A worse answer
    belongs to one family; better answers are shared (length, flattery and format edit the
    same originals), which is why the doubles plant their biases on the worse answers."""
    out: dict[Scored, tuple[str, str]] = {}
    for name in FAMILIES.names():
        if not FAMILIES.get(name).swapped:
            for p in FAMILIES.get(name).pairs(seed, limit):
                out[Scored(p.prompt, p.worse)] = (name, p.source)
    return out


class PlantedFlipDouble(RewardModel):
    """Prefers the better answer (1 against 0), except on a planted share `rates[family]` of
    source prompts (drawn independently per source), where the worse answer gets 2."""

    kind = "test-double"

    def __init__(self, rates: dict[str, float], salt: str = "") -> None:
        super().__init__("test:planted-flips")
        self.rates = rates
        self.salt = salt
        self.worse = worse_answers()

    def score(self, items: Sequence[Scored]) -> list[float]:
        out = []
        for item in items:
            if item not in self.worse:
                out.append(1.0)
                continue
            family, source = self.worse[item]
            out.append(2.0 if _u(self.salt, family, source) < self.rates.get(family, 0.0) else 0.0)
        return out


class PlantedLengthDouble(RewardModel):
    """Reward = `per_100` x words / 100 + noise: a length bias of known slope, nothing else."""

    kind = "test-double"

    def __init__(self, per_100: float, noise: float = 0.05) -> None:
        super().__init__("test:planted-length")
        self.per_100 = per_100
        self.noise = noise

    def score(self, items: Sequence[Scored]) -> list[float]:
        return [
            self.per_100 * words(i.response) / 100.0 + self.noise * (_u(i.prompt, i.response) - 0.5)
            for i in items
        ]


class FailingEveryOtherChunkDouble(RewardModel):
    """Raises on every second call: its pairs must come back as errors, never as preferences."""

    kind = "test-double"

    def __init__(self) -> None:
        super().__init__("test:failing")
        self.calls = 0

    def score(self, items: Sequence[Scored]) -> list[float]:
        self.calls += 1
        if self.calls % 2 == 0:
            raise RewardError("planted outage")
        return [0.0 for _ in items]


class CrashingOnFamilyDouble(PlantedFlipDouble):
    """An honest model that crashes (a bug, not a provider error) while `crash_on` is a family
    it is asked about: the audit stops there, as a killed process would."""

    def __init__(self, crash_on: str | None) -> None:
        super().__init__({})
        self.spec = "test:crashing"
        self.crash_on = crash_on
        self.families_scored: list[str] = []

    def score(self, items: Sequence[Scored]) -> list[float]:
        family = next((self.worse[i][0] for i in items if i in self.worse), "")
        if family == self.crash_on:
            raise RuntimeError("killed mid-audit")
        if family not in self.families_scored:
            self.families_scored.append(family)
        return super().score(items)
