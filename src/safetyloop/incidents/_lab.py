"""Adding incidents and closing the loop: the calls that bracket triage, promotion and replay."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict

from safetyloop.errors import InputError
from safetyloop.governance import Clock, audit, current_actor
from safetyloop.governance._policy import Policy
from safetyloop.governance.debt import clear_debt
from safetyloop.incidents._record import load_incident
from safetyloop.incidents._repo import StoredIncident, get_incident, insert_incident
from safetyloop.store import Store

__all__ = ["CloseResult", "add_incident", "close_incident"]


def add_incident(
    store: Store, path: Path, *, actor: str | None = None, clock: Clock | None = None
) -> StoredIncident:
    """Validate an incident file (ConfigError with file:line, exit 2) and store it."""
    incident = load_incident(path)
    stored = insert_incident(store, incident, clock)
    audit.record(
        store,
        "incident.added",
        {
            "incident_id": incident.id,
            "content_hash": stored.content_hash,
            "severity": incident.severity.value,
            "principle": incident.principle,
            "file": str(path),
        },
        actor=actor or current_actor(),
        clock=clock,
    )
    return stored


class CloseResult(BaseModel):
    """The ledger's answer on clearing an incident's debt with a run."""

    model_config = ConfigDict(frozen=True)

    incident_id: str
    debt_id: str
    run_id: str
    status: str


def close_incident(
    store: Store,
    incident_id: str,
    run_id: str,
    *,
    actor: str,
    roles: list[str],
    policy: Policy | None = None,
    clock: Clock | None = None,
) -> CloseResult:
    """Clear the incident's debt item on a recorded run; the ledger checks the promoted cases
    passed on it under the current scorer, and that `roles` let `actor` clear debt under the
    policy (as `debt clear` does), and refuses otherwise."""
    stored = get_incident(store, incident_id)
    if stored.debt_id is None:
        raise InputError(
            f"incident {incident_id} has no debt item",
            hint=f"run `safetyloop incident triage {incident_id}` first",
        )
    run = store.get_run(run_id)
    status = clear_debt(
        store, stored.debt_id, run_id=run.id, actor=actor, roles=roles, policy=policy, clock=clock
    ).status
    return CloseResult(
        incident_id=incident_id, debt_id=stored.debt_id, run_id=run.id, status=status
    )
