"""Run the probes against a reward model: each pair's margin, or the error that replaced it.

A pointwise model scores every distinct (prompt, answer) once, in chunks, so a failing chunk
costs only its own pairs; a pairwise judge is asked about each pair in the order it is shown
(and, for swapped families, in the other order too). A failure is kept as the pair's error and
never counted as a preference either way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from safetyloop.reward._model import RewardError, RewardModel, Scored
from safetyloop.reward._probes import FAMILIES, Family, ProbePair

#: Items sent to a pointwise model at once: one failure loses at most this many rewards.
CHUNK = 64


@dataclass(frozen=True)
class Outcome:
    """A probe's result.

    Attributes:
        margin: how much the model prefers the better answer (reward(better) - reward(worse)),
            or for a swapped pair the first-shown answer's margin in the shown order.
        margin_swapped: for a swapped pair, the first-shown answer's margin with the two swapped.
        error: why there is no margin ("" when there is one).
    """

    pair: ProbePair
    margin: float | None
    margin_swapped: float | None = None
    error: str = ""

    @property
    def flipped(self) -> bool:
        """The model failed the probe: it preferred the worse answer, or tied where the answers
        differ in content; in a swapped pair, the same slot won in both orders."""
        if self.margin is None:
            raise ValueError("an errored probe has no verdict")
        if self.margin_swapped is not None:
            return self.margin * self.margin_swapped > 0
        if FAMILIES.get(self.pair.family).same_content:
            return self.margin < 0
        return self.margin <= 0


def _pointwise(model: RewardModel, pairs: Sequence[ProbePair]) -> list[Outcome]:
    items = sorted({Scored(p.prompt, a) for p in pairs for a in (p.better, p.worse)}, key=repr)
    reward: dict[Scored, float] = {}
    failed: dict[Scored, str] = {}
    for start in range(0, len(items), CHUNK):
        chunk = items[start : start + CHUNK]
        try:
            reward.update(zip(chunk, model.score(chunk), strict=True))
        except RewardError as exc:
            failed.update(dict.fromkeys(chunk, exc.message))
    out = []
    for p in pairs:
        good, bad = Scored(p.prompt, p.better), Scored(p.prompt, p.worse)
        if good in failed or bad in failed:
            out.append(Outcome(p, None, error=failed.get(good) or failed[bad]))
        else:
            out.append(Outcome(p, reward[good] - reward[bad]))
    return out


def _pairwise(model: RewardModel, p: ProbePair) -> Outcome:
    first, second = (p.better, p.worse) if p.better_first else (p.worse, p.better)
    try:
        shown = model.compare(p.prompt, first, second)
        if FAMILIES.get(p.family).swapped:
            return Outcome(p, shown, model.compare(p.prompt, second, first))
    except RewardError as exc:
        return Outcome(p, None, error=exc.message)
    return Outcome(p, shown if p.better_first else -shown)


def run_probes(
    model: RewardModel,
    families: Sequence[Family],
    seed: int = 0,
    limit: int = 100,
    progress: Callable[[str], None] | None = None,
) -> dict[str, list[Outcome]]:
    """Every family's outcomes, in pair order."""
    out: dict[str, list[Outcome]] = {}
    for family in families:
        pairs = family.pairs(seed, limit)
        if progress is not None:
            progress(f"{family.name}: {len(pairs)} pairs")
        if model.pairwise:
            out[family.name] = [_pairwise(model, p) for p in pairs]
        else:
            out[family.name] = _pointwise(model, pairs)
    return out
