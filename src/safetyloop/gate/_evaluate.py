"""The decision: every principle measured or ruled on, the worst status wins."""

from __future__ import annotations

from datetime import UTC, datetime

from safetyloop.config import Constitution, Principle
from safetyloop.gate._criteria import measure
from safetyloop.gate._model import (
    CriterionResult,
    Decision,
    Finding,
    PrincipleResult,
    RunEvidence,
    Status,
    decision_status,
    principle_status,
)
from safetyloop.gate._regression import REGRESSION, compare_evidence, regression_findings
from safetyloop.gate._rules import (
    INSUFFICIENT_EVIDENCE,
    RuleContext,
    every_principle_rules,
    get_rule,
    not_measured,
)
from safetyloop.gate._waivers import apply_waiver


def _principle_result(
    principle: Principle, findings: list[Finding], criteria: list[CriterionResult] | None = None
) -> PrincipleResult:
    return PrincipleResult(
        id=principle.id,
        name=principle.name,
        severity=principle.severity.value,
        enforcement=principle.enforcement.value,
        status=principle_status(findings),
        criteria=criteria or [],
        findings=findings,
    )


def _every_principle(principle: Principle, context: RuleContext) -> list[Finding]:
    """Findings of the rules every principle with criteria is held to (`judge-is-guard`)."""
    if not principle.criteria:
        return []
    return [f for rule in every_principle_rules() for f in rule(principle, context)]


def evaluate(
    constitution: Constitution,
    evidence: RunEvidence,
    baseline: RunEvidence | None = None,
    *,
    now: datetime | None = None,
) -> Decision:
    """Decide PASS / WARN / BLOCK for a run under a constitution, at `now` (default: the clock).

    A principle nothing measures is NOT MEASURED (BLOCK when critical or high, unless the
    constitution's waiver, unexpired at `now`, waives it: see `gate._waivers`).

    With a `baseline` run (the deployment's registered one), every measured principle also gets
    the `regression` rule's findings (see `gate._regression`): they are added before the
    principle-level rules run, so C4 sees an underpowered comparison as insufficient evidence.
    """
    report = (
        compare_evidence(constitution, baseline, evidence)
        if baseline is not None and baseline.run_id != evidence.run_id
        else None
    )
    measured: list[PrincipleResult] = []
    ruled: list[Principle] = []
    for principle in constitution.principles:
        if principle.enforced_by:
            ruled.append(principle)
            continue
        if not principle.criteria:
            measured.append(_principle_result(principle, not_measured(principle)))
            continue
        results, findings = [], []
        for criterion in principle.criteria:
            result, found = measure(principle, criterion, constitution, evidence)
            results.append(result)
            findings.extend(found)
        if report is not None:
            findings.extend(regression_findings(principle, report))
        findings.extend(
            _every_principle(principle, RuleContext(constitution, evidence, list(measured)))
        )
        measured.append(_principle_result(principle, findings, results))
    if baseline is not None and report is None:
        for i, done in enumerate(measured):
            if done.criteria:
                note = Finding(
                    rule=REGRESSION,
                    principle=done.id,
                    status=Status.PASS,
                    message=f"run {evidence.run_id} is the baseline itself: nothing to compare",
                )
                measured[i] = done.model_copy(update={"findings": [*done.findings, note]})
    # Rules that look at other principles' results (C4's insufficient_evidence) run last, so
    # they see what the other rules found (a red-team or regression-suite gap) as well.
    ruled.sort(key=lambda p: p.enforced_by == INSUFFICIENT_EVIDENCE)
    by_id = {p.id: p for p in measured}
    for principle in ruled:
        assert principle.enforced_by is not None
        context = RuleContext(constitution, evidence, list(by_id.values()))
        by_id[principle.id] = _principle_result(
            principle,
            [
                *get_rule(principle.enforced_by)(principle, context),
                *_every_principle(principle, context),
            ],
        )
    moment = now or datetime.now(UTC)
    principles = [apply_waiver(by_id[p.id], p, moment) for p in constitution.principles]
    return Decision(
        run_id=evidence.run_id,
        decision=decision_status(principles),
        decided_at=moment,
        confidence=constitution.confidence,
        target=evidence.target_name,
        lineage={
            "target_version": evidence.target_version,
            "constitution_hash": constitution.content_hash(),
            "run_constitution_hash": evidence.constitution_hash,
            "suite_versions": evidence.suite_versions,
            "scorer_versions": evidence.scorer_versions,
            **(
                {"safeguards": [c.model_dump(mode="json") for c in evidence.safeguards]}
                if evidence.safeguards
                else {}
            ),
            **({"baseline_run": baseline.run_id} if baseline is not None else {}),
            **(evidence.redteam.lineage() if evidence.redteam is not None else {}),
            **(evidence.agentic.lineage() if evidence.agentic is not None else {}),
        },
        principles=principles,
        regression=report,
    )
