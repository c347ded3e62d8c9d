"""The Python API: everything the CLI does, as plain calls.

from safetyloop.api import RunRequest, run, gate
info = run(RunRequest(target="local", sample=40))
decision = gate(info.id)
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from safetyloop._hashing import content_hash
from safetyloop.config import (
    Constitution,
    load_constitution,
    load_default_constitution,
)
from safetyloop.engine import CaseResult, Runner, RunnerSettings
from safetyloop.errors import InputError
from safetyloop.gate import Decision, RunEvidence, evaluate, rule_names
from safetyloop.gate._criteria import scorer_for
from safetyloop.scoring import ScoreInput, create_scorer, metric_names
from safetyloop.store import NewRun, RunInfo, Store
from safetyloop.suites import Case, load_suite, stratified_sample, suite_names
from safetyloop.targets import GenerateParams, Target, build_target


def load_constitution_checked(path: Path | None = None) -> Constitution:
    """Load a constitution (the bundled default when `path` is None), checking every reference."""
    context: dict[str, Any] = {
        "suites": set(suite_names()),
        "metrics": metric_names(),
        "rules": rule_names(),
    }
    if path is None:
        return load_default_constitution(**context)
    return load_constitution(path, **context)


@dataclass(frozen=True)
class RunRequest:
    """Everything that defines a run. The same request resumes an interrupted run.

    Attributes:
        target: A command-line target spec or a name declared in `targets_file`.
        sample: Cases drawn per suite, stratified by category (None: every case).
        seed: Sampling seed.
    """

    target: str = "local"
    constitution: Path | None = None
    targets_file: Path | None = None
    sample: int | None = None
    seed: int = 0
    params: GenerateParams = field(default_factory=GenerateParams)
    runner: RunnerSettings = field(default_factory=RunnerSettings)
    store_url: str | None = None
    resume: bool = True


@dataclass(frozen=True)
class Plan:
    """A resolved request: the cases to run, and the hash that identifies the run."""

    constitution: Constitution
    target: Target
    cases: list[Case]
    suite_versions: dict[str, str]
    scorer_versions: dict[str, str]
    plan_hash: str


def plan(request: RunRequest) -> Plan:
    """Validate every input and draw the cases, before anything runs."""
    constitution = load_constitution_checked(request.constitution)
    target = build_target(request.target, request.targets_file)
    suite_names_used = sorted(
        {s for p in constitution.principles for c in p.criteria for s in c.suites}
    )
    cases: list[Case] = []
    suite_versions: dict[str, str] = {}
    for name in suite_names_used:
        suite = load_suite(name)
        suite_versions[name] = suite.version
        drawn = (
            list(suite.cases)
            if request.sample is None
            else stratified_sample(suite.cases, request.sample, request.seed)
        )
        cases.extend(drawn)
    scorers = {scorer_for(c) for p in constitution.principles for c in p.criteria}
    scorer_versions = {name: create_scorer(name).version for name in sorted(scorers)}
    plan_hash = content_hash(
        {
            "constitution": constitution.content_hash(),
            "target": target.version,
            "suites": suite_versions,
            "scorers": scorer_versions,
            "sample": request.sample,
            "seed": request.seed,
            "params": request.params.model_dump(mode="json"),
            "cases": [c.key for c in cases],
        }
    )
    return Plan(constitution, target, cases, suite_versions, scorer_versions, plan_hash)


ProgressStart = Callable[[int, int], None]  # (total cases, already done)


def run(
    request: RunRequest,
    *,
    on_start: ProgressStart | None = None,
    on_result: Callable[[CaseResult], None] | None = None,
) -> RunInfo:
    """Plan, run (resuming an interrupted run of the same plan), score, and record a run."""
    the_plan = plan(request)
    with Store(request.store_url) as store:
        return asyncio.run(_execute(the_plan, request, store, on_start, on_result))


async def _execute(
    the_plan: Plan,
    request: RunRequest,
    store: Store,
    on_start: ProgressStart | None,
    on_result: Callable[[CaseResult], None] | None,
) -> RunInfo:
    info = store.find_unfinished_run(the_plan.plan_hash) if request.resume else None
    if info is None:
        info = store.create_run(
            NewRun(
                plan_hash=the_plan.plan_hash,
                target_name=the_plan.target.name,
                target_version=the_plan.target.version,
                constitution_hash=the_plan.constitution.content_hash(),
                scorer_versions=the_plan.scorer_versions,
                suite_versions=the_plan.suite_versions,
                lineage={
                    "target": the_plan.target.describe(),
                    "constitution": the_plan.constitution.model_dump(mode="json"),
                    "params": request.params.model_dump(mode="json"),
                    "sample": request.sample,
                    "seed": request.seed,
                },
            ),
            the_plan.cases,
        )
    done = store.finished_keys(info.id)
    todo = [c for c in store.run_cases(info.id) if c.key not in done]
    if on_start:
        on_start(len(done) + len(todo), len(done))
    runner = Runner(
        the_plan.target,
        request.params,
        store,
        info.id,
        cache=store,
        settings=request.runner,
        on_result=on_result,
    )
    try:
        await runner.run(todo)
    finally:
        await the_plan.target.aclose()
    score_run(store, info.id)
    store.finish_run(info.id)
    return store.get_run(info.id)


def score_run(store: Store, run_id: str) -> int:
    """Score every successful result the run's scorers have not scored yet; returns how many."""
    info = store.get_run(run_id)
    cases = {c.key: c for c in store.run_cases(run_id)}
    results = store.results(run_id)
    scored = 0
    for name, version in info.scorer_versions.items():
        scorer = create_scorer(name)
        if scorer.version != version:
            raise InputError(
                f"scorer {name} changed since the run was planned "
                f"({version[:12]} -> {scorer.version[:12]})",
                hint="start a new run with --new",
            )
        have = store.scores(run_id, version)
        pending = [
            r
            for key, r in results.items()
            if r.status == "ok" and key not in have and r.response is not None
        ]
        if not pending:
            continue
        scores = scorer.score_batch(
            [
                ScoreInput(messages=cases[r.case_key].messages, response=r.response or "")
                for r in pending
            ]
        )
        store.record_scores(
            run_id, name, version, {r.case_key: s for r, s in zip(pending, scores, strict=True)}
        )
        scored += len(pending)
    return scored


def evidence_for(store: Store, run_ref: str) -> RunEvidence:
    """Everything the gate needs about a stored run."""
    info = store.get_run(run_ref)
    return RunEvidence(
        run_id=info.id,
        run_status=info.status,
        target_name=info.target_name,
        target_version=info.target_version,
        constitution_hash=info.constitution_hash,
        suite_versions=info.suite_versions,
        scorer_versions=info.scorer_versions,
        cases=store.run_cases(info.id),
        results=store.results(info.id),
        scores={
            name: store.scores(info.id, version) for name, version in info.scorer_versions.items()
        },
    )


def gate(
    run_ref: str = "latest",
    *,
    constitution: Path | None = None,
    store_url: str | None = None,
    record: bool = True,
) -> Decision:
    """Decide PASS / WARN / BLOCK on a stored run under a constitution (default: the run's own)."""
    chosen = load_constitution_checked(constitution) if constitution else None
    with Store(store_url) as store:
        evidence = evidence_for(store, run_ref)
        if chosen is None:
            info = store.get_run(evidence.run_id)
            chosen = Constitution.model_validate(info.lineage["constitution"])
        decision = evaluate(chosen, evidence)
        if record:
            store.record_gate_decision(
                decision.run_id, decision.decision.value, decision.model_dump(mode="json")
            )
        return decision
