"""`audit`: probe a reward model with every (or the named) family and measure each."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from safetyloop.clock import Clock, SystemClock
from safetyloop.reward._audit import run_probes
from safetyloop.reward._metrics import measure
from safetyloop.reward._model import RewardModel, load_reward_model
from safetyloop.reward._probes import FAMILIES, Family
from safetyloop.reward._report import AuditReport


def plan(
    model: RewardModel | str, families: Sequence[str] | None
) -> tuple[RewardModel, list[Family], list[str]]:
    """The model, the families it can be probed on, and notes on those left out. Family names
    are checked before the model loads, so a typo fails at once."""
    chosen = [FAMILIES.get(name) for name in (families or FAMILIES.names())]
    rm = load_reward_model(model) if isinstance(model, str) else model
    if rm.pairwise or not any(f.swapped for f in chosen):
        return rm, chosen, []
    note = (
        "position not run: a pointwise model scores each answer alone, so the order the "
        "answers are shown in cannot matter (the family tests pairwise judges)"
    )
    return rm, [f for f in chosen if not f.swapped], [note]


def audit(
    model: RewardModel | str,
    families: Sequence[str] | None = None,
    *,
    seed: int = 0,
    limit: int = 100,
    clock: Clock | None = None,
    progress: Callable[[str], None] | None = None,
) -> AuditReport:
    """Audit `model` (a `RewardModel` or a spec) on the probe families (all by default).

    `seed` fixes every transformation, sample and order; `limit` caps source prompts a family.
    """
    rm, chosen, notes = plan(model, families)
    outcomes = run_probes(rm, chosen, seed, limit, progress)
    results = tuple(measure(f, outcomes[f.name], seed) for f in chosen)
    return AuditReport(
        model=rm.spec,
        model_version=rm.version,
        seed=seed,
        limit=limit,
        created_at=(clock or SystemClock()).now(),
        families=results,
        notes=tuple(notes),
    )
