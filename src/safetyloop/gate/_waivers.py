"""Constitution waivers: an unmeasured principle shipped on record, as a gate exception.

A waiver (`Principle.waiver`: reason, owner, expiry date) is applied exactly like an approved
exception (`gate._governance`): the NOT MEASURED principle's BLOCK becomes WARN, the rewritten
finding says so, and an `exception` finding names the waiver, its owner and its expiry. The
principle stays NOT MEASURED. From its expiry date on (UTC) it no longer waives: the BLOCK
stands and a finding says the waiver expired. `safetyloop.api.gate` writes every waiver a
recorded decision relied on to the audit log (`exception.waived`).
"""

from __future__ import annotations

from datetime import UTC, datetime, time

from safetyloop.config import Constitution, Principle, Waiver
from safetyloop.gate._governance import EXCEPTION, ActiveException, _waive
from safetyloop.gate._model import (
    Decision,
    Finding,
    PrincipleResult,
    Status,
    principle_status,
    worst,
)


def waiver_id(principle_id: str) -> str:
    """The exception id a constitution waiver is reported under."""
    return f"waiver:{principle_id}"


def waiver_expiry(waiver: Waiver) -> datetime:
    """The moment the waiver stops waiving: 00:00 UTC on its `expires` date."""
    return datetime.combine(waiver.expires, time(0, 0), tzinfo=UTC)


def apply_waiver(result: PrincipleResult, principle: Principle, now: datetime) -> PrincipleResult:
    """`result` with `principle`'s waiver applied at `now` (unchanged when it has none)."""
    waiver = principle.waiver
    if waiver is None or result.status != Status.NOT_MEASURED:
        return result
    expiry = waiver_expiry(waiver)
    if now < expiry:
        waived = _waive(
            result,
            ActiveException(
                id=waiver_id(principle.id),
                principles=[principle.id],
                expires_at=expiry,
                approvers=[f"{waiver.owner} (constitution waiver)"],
                mitigation=f"waived without evidence: {waiver.reason}",
            ),
        )
        return waived.model_copy(update={"status": principle_status(waived.findings)})
    expired = Finding(
        rule=EXCEPTION,
        principle=principle.id,
        status=worst([f.status for f in result.findings]),
        message=f"waiver {waiver_id(principle.id)} (owner {waiver.owner}) expired on "
        f"{waiver.expires:%Y-%m-%d}: it no longer waives; measure the principle or renew the "
        f"waiver in the constitution ({waiver.reason})",
    )
    findings = [*result.findings, expired]
    return result.model_copy(update={"findings": findings, "status": principle_status(findings)})


def waivers_in_force(constitution: Constitution, decision: Decision) -> list[dict[str, str]]:
    """The waivers `decision` relied on, as audit payloads (`exception.waived`)."""
    statuses = {p.id: p.status for p in decision.principles}
    return [
        {
            "exception_id": waiver_id(p.id),
            "run_id": decision.run_id,
            "principle": p.id,
            "owner": p.waiver.owner,
            "reason": p.waiver.reason,
            "expires": p.waiver.expires.isoformat(),
            "constitution_hash": constitution.content_hash(),
        }
        for p in constitution.principles
        if p.waiver is not None
        and statuses.get(p.id) == Status.NOT_MEASURED
        and decision.decided_at < waiver_expiry(p.waiver)
    ]
