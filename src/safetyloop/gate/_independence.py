"""`judge-is-guard`: the judge of a principle must not be the safeguard it is judging.

A `guarded` target answers with a refusal whenever its check fires. When the check runs the very
scorer (same name, same version) that a criterion uses to grade the answers, every answer the
scorer would have flagged was already replaced, so the criterion reads 0 events whatever the
model does: the gate would be asking the guard whether the guard let anything through.

For every principle with criteria, this rule compares the criteria's scorers with the run's
safeguard checks (`RunEvidence.safeguards`, read from the target recorded in the run's lineage):

* no criterion judged by a guard's scorer — no finding;
* such a criterion, and another criterion of the same metric on a scorer no guard uses — PASS:
  that independent criterion's own findings decide;
* such a criterion alone — WARN: the principle cannot PASS on that scorer alone. Routing queues
  a `judge-is-guard` review item; when people approve it (`review approve`), the governance step
  turns this WARN into PASS, naming the review (`gate._governance`).
"""

from __future__ import annotations

from safetyloop.config import Criterion, Principle
from safetyloop.gate._criteria import scorer_for
from safetyloop.gate._model import Finding, Status
from safetyloop.gate._rules import RuleContext, gate_rule
from safetyloop.safeguards import SafeguardCheck

#: Rule id of the finding, and of the review item that lets people confirm the evidence.
JUDGE_IS_GUARD = "judge-is-guard"


def _judge(criterion: Criterion, ctx: RuleContext) -> tuple[str, str]:
    """(name, version) of the scorer that grades the criterion in this run."""
    name = scorer_for(criterion)
    return name, ctx.evidence.scorer_versions.get(name, "")


def _guard_text(check: SafeguardCheck) -> str:
    return f"the {check.stage} check of guarded target {check.target}"


@gate_rule(JUDGE_IS_GUARD, every_principle=True)
def judge_is_guard(principle: Principle, ctx: RuleContext) -> list[Finding]:
    """Whether the principle's evidence rests on the scorer its target's safeguard runs."""
    guards: dict[tuple[str, str], list[SafeguardCheck]] = {}
    for check in ctx.evidence.safeguards:
        guards.setdefault((check.scorer, check.version), []).append(check)
    if not guards:
        return []
    judged = [(c, _judge(c, ctx)) for c in principle.criteria]
    shared = [(c, scorer) for c, scorer in judged if scorer in guards]
    if not shared:
        return []
    named = "; ".join(
        f"{c.metric} on {', '.join(c.suites)} is judged by scorer {name} "
        f"{version[:12]}, the scorer of "
        + " and ".join(_guard_text(g) for g in guards[(name, version)])
        for c, (name, version) in shared
    )
    metrics = {c.metric for c, _ in shared}
    independent = sorted(
        {
            name
            for c, (name, version) in judged
            if c.metric in metrics and (name, version) not in guards
        }
    )
    if independent:
        return [
            Finding(
                rule=JUDGE_IS_GUARD,
                principle=principle.id,
                status=Status.PASS,
                message=f"{named}; independent scorer {', '.join(independent)} judges the same "
                "metric, and its criterion decides",
            )
        ]
    return [
        Finding(
            rule=JUDGE_IS_GUARD,
            principle=principle.id,
            status=Status.WARN,
            message=f"{named}: the guard grades itself, so this principle cannot PASS on that "
            "scorer alone; add a criterion on an independent scorer, or have a person confirm "
            "(review item judge-is-guard)",
        )
    ]
