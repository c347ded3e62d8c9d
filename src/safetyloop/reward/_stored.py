"""Reward audits in the store: a run of kind `reward` in the one run ledger.

The audited reward model is the run's target (its spec and version); each probe family is one
episode of the run (`store.agentic`'s episodic tables), its figures stored as it finishes, so an
interrupted audit resumes with the families left and never measures one twice. The plan is the
model's version with the probes' seed, limit, families and content hash: the same audit asked
twice is found, not rerun.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict
from typing import Any

from safetyloop._hashing import content_hash
from safetyloop.clock import Clock, SystemClock
from safetyloop.evidence import Measurement
from safetyloop.reward._audit import run_probes
from safetyloop.reward._metrics import measure
from safetyloop.reward._model import RewardModel
from safetyloop.reward._probes import Family
from safetyloop.reward._report import SCHEMA, measurements
from safetyloop.reward._run import plan
from safetyloop.store import Store
from safetyloop.store import agentic as db

#: The run ledger's kind for reward audits.
REWARD = "reward"


def probes_version(families: Sequence[Family], seed: int, limit: int) -> str:
    """A hash of every probe pair the audit asks about (the audit's "suite" version)."""
    return content_hash({f.name: [asdict(p) for p in f.pairs(seed, limit)] for f in families})


def audit_stored(
    store: Store,
    model: RewardModel | str,
    families: Sequence[str] | None = None,
    *,
    seed: int = 0,
    limit: int = 100,
    clock: Clock | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Audit `model` into the store (resuming the unfinished run of the same plan); the run's
    record (the `audit.json` shape, with its `run_id`)."""
    rm, chosen, notes = plan(model, families)
    clock = clock or SystemClock()
    version = probes_version(chosen, seed, limit)
    record, _ = db.claim_run(
        store,
        plan_hash=content_hash({"reward_model": rm.version, "probes": version}),
        target_name=rm.spec,
        target_version=rm.version,
        tasks_version=version,
        lineage={
            "seed": seed,
            "limit": limit,
            "families": [f.name for f in chosen],
            "notes": notes,
            "schema": SCHEMA,
        },
        kind=REWARD,
    )
    with db.hold_run(store, record.id):
        if store.get_run(record.id, kind=REWARD).status != "finished":
            db.plan_episodes(store, record.id, [(f.name, {"family": f.name}) for f in chosen])
            done = {e.case_key for e in db.episodes(store, record.id) if e.status == "done"}
            for family in chosen:
                if family.name in done:
                    continue
                outcomes = run_probes(rm, [family], seed, limit, progress)[family.name]
                result = measure(family, outcomes, seed)
                db.finish_episode(
                    store,
                    record.id,
                    family.name,
                    trajectory={
                        "pairs": [
                            {
                                "source": o.pair.source,
                                "transform": o.pair.transform,
                                "margin": o.margin,
                                "margin_swapped": o.margin_swapped,
                                "error": o.error,
                            }
                            for o in outcomes
                        ]
                    },
                    outcome={**asdict(result), "confounded_by": list(result.confounded_by)},
                    at=clock.now(),
                )
            db.finish_run(store, record.id, clock.now())
    return load_stored_audit(store, record.id)


def load_stored_audit(store: Store, ref: str = "latest") -> dict[str, Any]:
    """A stored reward audit (id, unique prefix or `latest`) as its record.

    Raises:
        InputError: no such reward audit.
    """
    run = store.get_run(ref, kind=REWARD)
    families = [e.outcome for e in db.episodes(store, run.id) if e.outcome is not None]
    return {
        "run_id": run.id,
        "status": run.status,
        "model": run.target_name,
        "model_version": run.target_version,
        "probes_version": str(run.suite_versions.get(db.TASKS, "")),
        "seed": run.lineage["seed"],
        "limit": run.lineage["limit"],
        "notes": run.lineage.get("notes", []),
        "schema": run.lineage.get("schema", SCHEMA),
        "created_at": run.created_at.isoformat(),
        "families": families,
    }


def previous_audit(store: Store, current: dict[str, Any]) -> dict[str, Any] | None:
    """The newest finished audit of another reward model on the same probes, run before
    `current`: what a regression is measured against (None: nothing to compare with)."""
    for run in store.list_runs(limit=1000, kind=REWARD):
        if (
            run.status == "finished"
            and run.id != current["run_id"]
            and run.target_version != current["model_version"]
            and run.suite_versions.get(db.TASKS) == current["probes_version"]
            and run.created_at.isoformat() <= current["created_at"]
        ):
            return load_stored_audit(store, run.id)
    return None


def latest_run_id(store: Store, model_version: str | None = None) -> str | None:
    """The newest finished reward audit (of `model_version`, when given); None: there is none."""
    for run in store.list_runs(limit=1_000_000, kind=REWARD):
        if run.status == "finished" and model_version in (None, run.target_version):
            return run.id
    return None


def latest_audit(store: Store, model: str) -> dict[str, Any] | None:
    """The newest finished audit of reward model `model` (its spec, as `reward audit --model`
    names it); None: there is none. An audit of any other model is never taken for it."""
    for run in store.list_runs(limit=1_000_000, kind=REWARD):
        if run.status == "finished" and run.target_name == model:
            return load_stored_audit(store, run.id)
    return None


def stored_measurements(store: Store, run_id: str) -> list[Measurement]:
    """A stored audit's flip rates as evidence (the risk report's `reward` source)."""
    return measurements(load_stored_audit(store, run_id))
