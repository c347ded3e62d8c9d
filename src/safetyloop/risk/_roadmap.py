"""The gaps as a mitigation roadmap: for each, what would close it, most severe pathway first."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from safetyloop.risk._argument import EvidenceResult, RiskArgument

__all__ = ["Step", "roadmap"]

#: The command that produces each source's evidence.
_PRODUCES = {
    "gate": "safetyloop run, then safetyloop gate",
    "agentic": "safetyloop agent run",
    "redteam": "safetyloop redteam run",
    "capability": "safetyloop capability run",
    "sabotage": "safetyloop sabotage run",
}
_SEVERITY = {"critical": 0, "high": 1, "medium": 2, "low": 3}


class Step(BaseModel):
    """One gap and the action that would close it."""

    model_config = ConfigDict(frozen=True)

    pathway: str
    severity: str
    claim: str
    gap: str
    action: str


def _action(e: EvidenceResult, pathway: str, version: str) -> str:
    """What would make `e` current."""
    if e.kind == "attestation":
        a = e.attestation
        if a is None:
            command = f"safetyloop attest add --control {e.control} -p {pathway}"
            return f"attest control {e.control}: {command}"
        if "unsigned" in e.gaps:
            return (
                f"two approvers sign review {a.review_id}: safetyloop review approve {a.review_id}"
            )
        return f"re-check control {e.control}, then attest it again (owner {a.owner})"
    produce = _PRODUCES.get(e.source or "", f"a {e.source} evaluation")
    if "missing" in e.gaps:
        if e.run_id is None:
            return f"measure {e.metric} on {version}: {produce}"
        return f"run {e.run_id} has no {e.metric}: include it in the next {produce}"
    if "failing" in e.gaps:
        return f"mitigate until {e.metric} meets {e.requirement}, then re-measure: {produce}"
    return f"re-measure (older than {e.max_age_days} days): {produce}"


def roadmap(argument: RiskArgument) -> list[Step]:
    """Every gap with its action, critical pathways first, in pathway order within a severity."""
    steps = [
        Step(
            pathway=p.name,
            severity=p.severity,
            claim=c.id,
            gap=", ".join(e.gaps),
            action=_action(e, p.id, argument.target_version),
        )
        for p in argument.pathways
        for c, e in p.gaps
    ]
    return sorted(steps, key=lambda s: _SEVERITY.get(s.severity, len(_SEVERITY)))
