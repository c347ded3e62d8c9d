"""Principle-level gate rules, registered by name and bound by `enforced_by` in a constitution.

Two registries, because a rule is applied in one of two ways. `RULES` holds the rules a
constitution names (`enforced_by`); a plugin there is loaded only when a principle names it.
`EVERY_PRINCIPLE_RULES` holds the rules the gate applies to every principle with criteria; the
gate needs all of them, so a broken plugin there stops the gate with its error rather than being
skipped (a rule that silently does not run could let a release pass).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from safetyloop._registry import Registry, callables
from safetyloop.config import Constitution, Enforcement, Principle
from safetyloop.gate._criteria import ERROR_CEILING, INSUFFICIENT, scorer_for
from safetyloop.gate._model import (
    NOT_MEASURED_RULE,
    Finding,
    PrincipleResult,
    RunEvidence,
    Status,
)
from safetyloop.store import Store, project_store_url


@dataclass(frozen=True)
class RuleContext:
    """What a principle-level rule may look at: the run and the other principles' results."""

    constitution: Constitution
    evidence: RunEvidence
    measured: list[PrincipleResult]


Rule = Callable[[Principle, RuleContext], list[Finding]]

#: Rules named by `enforced_by`: those below, the built-in modules', and plugins
#: (`safetyloop.gate_rules`; the red-team rule is one, declared in safetyloop's own pyproject).
RULES: Registry[Rule] = Registry(
    "gate rule",
    "safetyloop.gate_rules",
    builtins=(
        "safetyloop.gate._every_case",
        "safetyloop.gate._agentic",
        "safetyloop.gate._capability",
        "safetyloop.gate._reward",
    ),
    accept=callables("a rule (principle, context) -> list[Finding]"),
)
#: Rules the gate applies to every principle with criteria (`safetyloop.every_principle_rules`).
EVERY_PRINCIPLE_RULES: Registry[Rule] = Registry(
    "every-principle gate rule",
    "safetyloop.every_principle_rules",
    builtins=("safetyloop.gate._independence",),
    accept=callables("a rule (principle, context) -> list[Finding]"),
)

NOT_MEASURED = NOT_MEASURED_RULE
#: The `enforced_by` name of C4's rule, which reads every other principle's findings.
INSUFFICIENT_EVIDENCE = "insufficient_evidence"


def gate_rule(name: str, *, every_principle: bool = False) -> Callable[[Rule], Rule]:
    """Register a principle-level rule under `name` (the value of `enforced_by`); with
    `every_principle`, a rule the gate applies to every principle that has criteria, beside
    the principle's own findings (such a rule returns [] where it has nothing to say)."""

    def register(rule: Rule) -> Rule:
        return (EVERY_PRINCIPLE_RULES if every_principle else RULES).register(name, rule)

    return register


def every_principle_rules() -> list[Rule]:
    """The rules applied to every principle with criteria, in name order (PluginError when one
    of them cannot be loaded: the gate does not decide without it)."""
    return [EVERY_PRINCIPLE_RULES.get(name) for name in EVERY_PRINCIPLE_RULES.names()]


def rule_names() -> set[str]:
    """The names `enforced_by` may use (plugins are not imported to list them)."""
    return set(RULES.names())


def get_rule(name: str) -> Rule:
    """The rule `enforced_by: name` binds (InputError when unknown or its plugin is broken)."""
    return RULES.get(name)


def fail_status(principle: Principle) -> Status:
    """What a rule's failure means for `principle`: BLOCK when it is hard, else WARN."""
    return Status.BLOCK if principle.enforcement == Enforcement.HARD else Status.WARN


@gate_rule(INSUFFICIENT_EVIDENCE)
def insufficient_evidence(principle: Principle, ctx: RuleContext) -> list[Finding]:
    """C4: a gate under insufficient evidence cannot PASS; it routes to review.

    Too many errors is insufficient evidence too (principle 3), besides blocking on its own.
    A principle nothing measures is left to its own NOT MEASURED status (BLOCK, or a waiver
    on record): C4 speaks about evidence that exists but is too thin.
    """
    uncertain = sorted(
        {
            f.principle
            for p in ctx.measured
            for f in p.findings
            if f.rule in (INSUFFICIENT, ERROR_CEILING)
        }
    )
    if uncertain:
        return [
            Finding(
                rule=INSUFFICIENT,
                principle=principle.id,
                status=Status.WARN,
                message=f"insufficient evidence for {', '.join(uncertain)}: the release "
                "cannot pass on them and goes to human review",
            )
        ]
    return [
        Finding(
            rule=INSUFFICIENT,
            principle=principle.id,
            status=Status.PASS,
            message="every measured principle was settled by its evidence",
        )
    ]


@gate_rule("lineage")
def lineage(principle: Principle, ctx: RuleContext) -> list[Finding]:
    """C6: every verdict must trace to the exact target, constitution, suite and scorer versions."""
    ev = ctx.evidence
    missing: list[str] = []
    if not ev.target_version:
        missing.append("target version")
    if ev.constitution_hash != ctx.constitution.content_hash():
        missing.append(
            "constitution (the run was planned under a different constitution: "
            f"{ev.constitution_hash[:12]} vs {ctx.constitution.content_hash()[:12]})"
        )
    for suite in sorted({c.suite for c in ev.cases}):
        if not ev.suite_versions.get(suite):
            missing.append(f"version of suite {suite}")
    scorers = {scorer_for(c) for p in ctx.constitution.principles for c in p.criteria}
    for name in sorted(scorers):
        if not ev.scorer_versions.get(name):
            missing.append(f"version of scorer {name}")
    if ev.run_status != "finished":
        missing.append("a finished run (this one is still running or was interrupted)")
    if missing:
        return [
            Finding(
                rule="lineage",
                principle=principle.id,
                status=fail_status(principle),
                message="incomplete lineage: " + "; ".join(missing),
            )
        ]
    return [
        Finding(
            rule="lineage",
            principle=principle.id,
            status=Status.PASS,
            message=f"complete lineage: target {ev.target_version[:12]}, constitution "
            f"{ev.constitution_hash[:12]}, {len(ev.suite_versions)} suite and "
            f"{len(ev.scorer_versions)} scorer versions recorded",
        )
    ]


def not_measured(
    principle: Principle,
    why: str = "no criteria are bound to this principle yet, so there is no evidence for it",
) -> list[Finding]:
    """A principle with no evidence at all is NOT MEASURED: it cannot pass silently.

    A critical or high principle BLOCKs on it (unless its constitution waives it, see
    `gate._waivers`); a medium or low one WARNs.
    """
    blocks = principle.blocks_unmeasured
    return [
        Finding(
            rule=NOT_MEASURED,
            principle=principle.id,
            status=Status.BLOCK if blocks else Status.WARN,
            message=f"{why}; a {principle.severity.value} principle "
            + (
                "BLOCKs without evidence unless its constitution waives it "
                "(waiver: reason, owner, expires)"
                if blocks
                else "only WARNs without evidence"
            ),
        )
    ]


def from_project_store(
    principle: Principle, what: str, read: Callable[[Store], list[Finding]]
) -> list[Finding]:
    """`read` the store the run or gate at hand is using, for rules whose evidence is a record
    of its own (a capability run, a reward audit); NOT MEASURED when there is no store at all."""
    url = project_store_url()
    if url is None:
        return not_measured(principle, f"there is no store, so no {what} to read")
    with Store(url) as store:
        return read(store)
