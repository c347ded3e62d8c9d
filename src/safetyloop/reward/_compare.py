"""Regression against the previous reward model's audit, family by family.

Both audits asked the same seeded probes when their probes agree (seed, limit, families), so
each family's flips are paired by source prompt: `stats.non_inferiority` with the discordant
counts (Tango's score interval, McNemar alongside). A family regresses when the increase of its
flip rate is significantly beyond the margin.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from safetyloop.errors import InputError
from safetyloop.stats import NonInferiorityResult, non_inferiority

#: One-sided level of each family's comparison shown by `reward audit|show`.
ALPHA = 0.025


@dataclass(frozen=True)
class FamilyChange:
    """One family's flip rate now and before, and the paired comparison."""

    family: str
    before: float
    after: float
    result: NonInferiorityResult

    @property
    def regressed(self) -> bool:
        return self.result.regression

    @property
    def improved(self) -> bool:
        return self.result.difference.high < 0


def compare_family(
    current: dict[str, Any], previous: dict[str, Any], margin: float = 0.0, alpha: float = ALPHA
) -> NonInferiorityResult | None:
    """The paired comparison of one family's flips (None: no probe scored in both)."""
    now = {source: flipped for source, flipped in current.get("verdicts", [])}
    then = {source: flipped for source, flipped in previous.get("verdicts", [])}
    common = sorted(now.keys() & then.keys())
    if not common:
        return None
    b = sum(now[s] and not then[s] for s in common)
    c = sum(then[s] and not now[s] for s in common)
    n = len(common)
    return non_inferiority(
        (sum(now[s] for s in common), n),
        (sum(then[s] for s in common), n),
        margin,
        alpha,
        paired=(b, c),
    )


def _rate(fam: dict[str, Any]) -> float:
    return sum(bool(v) for _, v in fam["verdicts"]) / max(1, len(fam["verdicts"]))


def compare_audits(current: dict[str, Any], previous: dict[str, Any]) -> list[FamilyChange]:
    """Changes for every family both audits measured (saved or stored records)."""
    if (current["seed"], current["limit"]) != (previous["seed"], previous["limit"]):
        raise InputError(
            "the audits ran different probes "
            f"(seed/limit {current['seed']}/{current['limit']} vs "
            f"{previous['seed']}/{previous['limit']})",
            hint="audit both models with the same --seed and --limit",
        )
    before = {f["family"]: f for f in previous["families"]}
    out = []
    for fam in current["families"]:
        old = before.get(fam["family"])
        result = compare_family(fam, old) if old is not None else None
        if old is None or result is None:
            continue
        out.append(FamilyChange(fam["family"], _rate(old), _rate(fam), result))
    return out
