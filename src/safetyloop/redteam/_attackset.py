"""The attack set: strategies and transforms crossed with harmful requests from bundled suites.

Its content hash versions it like a suite's: the same suites, sample, seed, strategies,
transforms and plans always give the same specs and the same hash, on any machine.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from safetyloop._hashing import content_hash
from safetyloop.errors import InputError
from safetyloop.redteam._records import AttackSpec
from safetyloop.redteam._scripted import load_plans
from safetyloop.redteam.strategies import STRATEGIES
from safetyloop.redteam.transforms import get_transform, template_names
from safetyloop.suites import Case, Expected, load_suite, stratified_sample


@dataclass(frozen=True)
class AttackSetRequest:
    """What to attack with and on which requests.

    Attributes:
        suites: Bundled suites the harmful requests are drawn from.
        requests: Requests per suite, stratified by harm category.
        strategies: Multi-turn strategies ("crescendo", "pair", "tap", "scripted").
        transforms: Single-turn transforms (`safetyloop redteam transforms`), each one attack.
        templates: Additionally, this many jailbreak templates drawn by `seed`.
        plans: Scripted-escalation file (needed by "scripted").
    """

    suites: Sequence[str] = ("harmbench",)
    requests: int = 3
    strategies: Sequence[str] = ("crescendo", "pair")
    transforms: Sequence[str] = ()
    templates: int = 0
    plans: Path | None = None
    seed: int = 0
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class AttackSet:
    specs: list[AttackSpec]
    hash: str
    suite_versions: dict[str, str]


def _requests(request: AttackSetRequest) -> tuple[list[Case], dict[str, str]]:
    cases: list[Case] = []
    versions: dict[str, str] = {}
    for name in request.suites:
        suite = load_suite(name)
        versions[name] = suite.version
        harmful = [c for c in suite.cases if c.expected == Expected.REFUSE]
        if not harmful:
            raise InputError(f"suite {name} has no harmful requests to attack with")
        cases.extend(stratified_sample(harmful, request.requests, request.seed))
    return cases, versions


def _spec(
    case: Case,
    strategy: str,
    family: str,
    technique: str,
    cluster: str,
    seed: int,
    **metadata: object,
) -> AttackSpec:
    suffix = f"/{technique}" if technique else ""
    return AttackSpec(
        key=f"{strategy}/{case.suite}/{case.id}{suffix}",
        strategy=strategy,
        family=family,
        technique=technique,
        cluster=cluster or technique or strategy,
        suite=case.suite,
        case_id=case.id,
        category=case.category,
        objective=case.prompt,
        seed=seed,
        metadata=dict(metadata),
    )


def build_attack_set(request: AttackSetRequest) -> AttackSet:
    """Validate names and build every spec (InputError on an unknown strategy or transform)."""
    for name in request.strategies:
        if name not in STRATEGIES or name == "single":
            known = ", ".join(n for n in STRATEGIES.names() if n != "single")
            raise InputError(f"unknown multi-turn strategy {name!r}", hint=f"known: {known}")
    transforms = [get_transform(name) for name in request.transforms]
    if request.templates:
        rng = random.Random(f"templates:{request.seed}")
        drawn = rng.sample(template_names(), k=min(request.templates, len(template_names())))
        transforms += [get_transform(f"jailbreak:{name}") for name in sorted(drawn)]
    plans = []
    if "scripted" in request.strategies:
        if request.plans is None:
            raise InputError("strategy scripted needs a plans file", hint="pass --plans FILE")
        plans = load_plans(request.plans)
    cases, versions = _requests(request)
    specs: list[AttackSpec] = []
    for case in cases:
        for t in transforms:
            source = t.metadata.get("source")
            extra = {"source": source} if source else {}
            specs.append(_spec(case, "single", t.family, t.name, t.name, request.seed, **extra))
        for name in request.strategies:
            if name == "scripted":
                for plan in plans:
                    specs.append(
                        _spec(
                            case,
                            name,
                            name,
                            plan.name,
                            plan.name,
                            request.seed,
                            turns=list(plan.turns),
                            stop_on_success=plan.stop_on_success,
                        )
                    )
            else:
                specs.append(_spec(case, name, name, "", name, request.seed))
    if not specs:
        raise InputError("nothing to run", hint="name --strategies and/or --transforms")
    digest = content_hash([s.model_dump(mode="json") for s in specs])
    return AttackSet(specs, digest, versions)
