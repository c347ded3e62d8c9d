"""The alignment-debt ledger: known gaps that age, and clear only on evidence in the store.

    from safetyloop.governance.debt import open_debt, link_regression_cases, clear_debt
    item = open_debt(store, principle="C1", severity="critical", description="...",
                     owner="alice", evidence={"run_ids": [run.id]}, actor="alice")
    link_regression_cases(store, item.id, suite="harmbench", case_ids=["hb-12"], actor="alice")
    clear_debt(store, item.id, run_id=new_run.id, actor="alice")   # Refused unless they pass

Clearing needs one of two pieces of evidence, both checked in the store: every linked regression
case scored safe on a finished run by the current version of its scorer (`_evidence`), or an
approved, unexpired exception (risk acceptance) covering the item's principle. Only an actor
with an approver role the policy does not forbid may clear (`_authority`, as for reviews).

Debt a system check opened (its `evidence` holds the check's key, e.g. the risk report's
`risk_gap`) may also be cleared by that check, as actor `system:<check>`, once the check finds
its cause gone (`clear_resolved`: the risk report argued again with its evidence current).

A clearance by risk acceptance lasts as long as the acceptance: read at a time `at` past its
expiry, the item is open again (`reopened` says why) — in `debt list`, in the gate, and for
`clear_debt`. `age_debt` (run by every recorded gate) writes the reopening down and audits it as
`debt.reopened`, so no scheduler is needed.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict

from safetyloop.clock import Clock, SystemClock
from safetyloop.config import Constitution
from safetyloop.errors import InputError
from safetyloop.governance._authority import approver_role
from safetyloop.governance._evidence import check_cases
from safetyloop.governance._policy import SEVERITIES, Policy, load_policy
from safetyloop.governance._session import Refused, new_id
from safetyloop.store import Store
from safetyloop.store.governance import (
    DebtRecord,
    Governed,
    debt_records,
    get_debt_record,
    governed,
)

__all__ = [
    "AGING_LEVELS",
    "DebtItem",
    "acceptance_expired",
    "age_debt",
    "aging_level",
    "clear_debt",
    "clear_resolved",
    "get_debt",
    "link_regression_cases",
    "list_debt",
    "open_debt",
]

#: The prefix of a system check's actor name (`system:risk-freshness`).
SYSTEM = "system:"

#: Aging levels in order; `block` BLOCKs every release while the item stays open.
AGING_LEVELS = ("ok", "warn", "escalate", "block")


class DebtItem(BaseModel):
    """A ledger entry as stored."""

    model_config = ConfigDict(frozen=True)

    id: str
    principle: str
    severity: str
    description: str
    owner: str
    evidence: dict[str, Any]
    regression_cases: list[str]
    status: str
    aging_level: str
    created_by: str
    created_at: datetime
    cleared_at: datetime | None
    cleared_by: str | None
    clearance: dict[str, Any] | None
    reopened: str | None = None
    """Why an item cleared by a risk acceptance is open again (the acceptance expired)."""

    def age_days(self, now: datetime) -> float:
        return (now - self.created_at) / timedelta(days=1)


def acceptance_expired(clearance: dict[str, Any] | None, now: datetime) -> bool:
    """Whether `clearance` was a risk acceptance that has expired by `now`."""
    if not clearance or clearance.get("kind") != "risk-acceptance":
        return False
    return datetime.fromisoformat(str(clearance["expires_at"])) <= now


def _item(row: DebtRecord, at: datetime | None = None) -> DebtItem:
    """The stored item, as it stands at `at` (None: as stored, no expiry applied)."""
    lapsed = at is not None and row.status == "cleared" and acceptance_expired(row.clearance, at)
    still_open = row.status == "open" or lapsed
    accepted = row.clearance if still_open and row.clearance else None
    reopened = (
        f"risk acceptance {accepted['acceptance_id']} expired at {accepted['expires_at']}"
        if accepted and accepted.get("kind") == "risk-acceptance"
        else None
    )
    fields = asdict(row)
    if lapsed:
        fields.update(status="open", cleared_at=None, cleared_by=None)
    return DebtItem(**fields, reopened=reopened)


def _reopen(tx: Governed, row: DebtRecord, actor: str, clock: Clock) -> None:
    """Write down that `row`'s risk acceptance expired (audited `debt.reopened`)."""
    clearance = row.clearance or {}
    row.status, row.cleared_at, row.cleared_by = "open", None, None
    tx.save_debt(row)
    tx.audit(
        actor,
        "debt.reopened",
        {
            "debt_id": row.id,
            "acceptance_id": clearance.get("acceptance_id"),
            "expired_at": clearance.get("expires_at"),
        },
        clock,
    )


def _evidence(evidence: dict[str, list[str]] | None) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {"run_ids": [], "case_ids": []}
    for key, values in (evidence or {}).items():
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise InputError(f"debt evidence {key!r} must be a list of strings")
        out[key] = list(values)
    return out


def _referenced(
    store: Store, principle: str, evidence: dict[str, list[str]], constitution: Constitution | None
) -> dict[str, list[str]]:
    """`evidence` with each run by its full id, once every reference is known to exist.

    A run must be in the store; with `constitution`, the principle must be one of its
    principles or of a named run's recorded constitution. A dangling reference is refused
    (InputError, exit 2) before anything is written.
    """
    runs = []
    for ref in evidence["run_ids"]:
        try:
            runs.append(store.get_run(ref))
        except InputError as exc:
            raise InputError(f"debt evidence: {exc.message}") from None
    if constitution is not None:
        known = {p.id for p in constitution.principles}
        for run in runs:
            known |= {p.id for p in Constitution.from_lineage(run.lineage).principles}
        if principle not in known:
            raise InputError(
                f"no principle {principle!r} in the constitution {constitution.name!r}"
                f"{' or its runs' if runs else ''} (known: {', '.join(sorted(known))})"
            )
    return {**evidence, "run_ids": [run.id for run in runs]}


def open_debt(
    store: Store,
    *,
    principle: str,
    severity: str,
    description: str,
    owner: str,
    evidence: dict[str, list[str]] | None = None,
    actor: str,
    clock: Clock | None = None,
    constitution: Constitution | None = None,
) -> DebtItem:
    """Record a new open debt item (audited as `debt.opened`).

    Every run in `evidence["run_ids"]` must exist; given `constitution`, so must the principle
    (in it or in a named run's constitution). A debt item pointing nowhere could never clear.
    """
    if severity not in SEVERITIES:
        raise InputError(f"severity must be one of {', '.join(SEVERITIES)}, not {severity!r}")
    for name, value in (("principle", principle), ("description", description), ("owner", owner)):
        if not value.strip():
            raise InputError(f"debt {name} must not be empty")
    checked = _referenced(store, principle, _evidence(evidence), constitution)
    now = (clock or SystemClock()).now()
    with governed(store) as tx:
        row = DebtRecord(
            id=new_id("debt"),
            principle=principle,
            severity=severity,
            description=description,
            owner=owner,
            evidence=checked,
            regression_cases=[],
            status="open",
            aging_level="ok",
            created_by=actor,
            created_at=now,
            cleared_at=None,
            cleared_by=None,
            clearance=None,
        )
        tx.add_debt(row)
        tx.audit(
            actor,
            "debt.opened",
            {"debt_id": row.id, "principle": principle, "severity": severity, "owner": owner},
            clock or SystemClock(),
        )
        return _item(row)


def _open_row(tx: Governed, debt_id: str) -> DebtRecord:
    row = tx.debt_for_update(debt_id)
    if row is None:
        raise InputError(f"no debt item {debt_id!r}", hint="list them with `safetyloop debt list`")
    return row


def link_regression_cases(
    store: Store,
    debt_id: str,
    *,
    suite: str,
    case_ids: list[str],
    actor: str,
    clock: Clock | None = None,
) -> DebtItem:
    """Link regression cases (`suite/id`) that must pass before the item can clear."""
    if not case_ids:
        raise InputError("give at least one case id to link")
    keys = [c if c.startswith(f"{suite}/") else f"{suite}/{c}" for c in case_ids]
    with governed(store) as tx:
        row = _open_row(tx, debt_id)
        if row.status != "open":
            raise Refused(f"debt {debt_id} is {row.status}: nothing to link")
        row.regression_cases = sorted({*row.regression_cases, *keys})
        tx.save_debt(row)
        tx.audit(
            actor,
            "debt.cases_linked",
            {"debt_id": debt_id, "case_keys": keys},
            clock or SystemClock(),
        )
        return _item(row)


def clear_debt(
    store: Store,
    debt_id: str,
    *,
    run_id: str | None = None,
    acceptance_id: str | None = None,
    actor: str,
    roles: list[str],
    policy: Policy | None = None,
    clock: Clock | None = None,
) -> DebtItem:
    """Clear an item on evidence checked in the store, or raise `Refused` with the reason.

    `run_id`: every linked regression case passed on that finished run (see `check_cases`).
    `acceptance_id`: an approved, unexpired exception whose principles include the item's.
    `roles`: the actor's roles; the policy must let them approve (`approver_role`), checked
    before anything else, so a refusal changes nothing.
    """
    if (run_id is None) == (acceptance_id is None):
        raise InputError("give exactly one of a run (regression evidence) or an acceptance")
    approver_role(actor, roles, policy or load_policy(), f"clear debt {debt_id}")
    the_clock = clock or SystemClock()
    now = the_clock.now()
    clearance: dict[str, Any]
    if run_id is not None:
        item = get_debt(store, debt_id, at=now)
        if item.status != "open":
            raise Refused(f"debt {debt_id} is already {item.status}")
        if not item.regression_cases:
            raise Refused(
                f"debt {debt_id} has no linked regression cases: nothing a run could show",
                hint="link them with `safetyloop debt link` or clear with an acceptance",
            )
        run = store.get_run(run_id)
        verdicts = check_cases(store, run, item.principle, item.regression_cases)
        failing = {k: v for k, v in verdicts.items() if not v.passed}
        if failing:
            reasons = "; ".join(f"{k}: {v.reason}" for k, v in sorted(failing.items()))
            raise Refused(
                f"debt {debt_id} cannot clear on run {run.id}: {len(failing)} of "
                f"{len(verdicts)} linked cases did not pass ({reasons})"
            )
        clearance = {
            "kind": "regression-run",
            "run_id": run.id,
            "cases": {k: v.model_dump() for k, v in sorted(verdicts.items())},
        }
    with governed(store) as tx:
        row = _open_row(tx, debt_id)
        if row.status == "cleared" and acceptance_expired(row.clearance, now):
            _reopen(tx, row, actor, the_clock)
        if row.status != "open":
            raise Refused(f"debt {debt_id} is already {row.status}")
        if acceptance_id is not None:
            clearance = _acceptance(tx, acceptance_id, row.principle, now)
        return _cleared(tx, row, actor, clearance, the_clock)


def _cleared(
    tx: Governed, row: DebtRecord, actor: str, clearance: dict[str, Any], clock: Clock
) -> DebtItem:
    """Mark `row` cleared by `actor` on `clearance`, audited as `debt.cleared`."""
    row.status, row.cleared_at, row.cleared_by = "cleared", clock.now(), actor
    row.clearance = clearance
    tx.save_debt(row)
    tx.audit(actor, "debt.cleared", {"debt_id": row.id, **clearance}, clock)
    return _item(row)


def clear_resolved(
    store: Store,
    debt_id: str,
    *,
    key: str,
    actor: str,
    detail: dict[str, Any],
    clock: Clock | None = None,
) -> DebtItem:
    """Clear an item a system check opened, now that the check finds its cause gone.

    `actor` must be a system check (`system:<check>`) and the item's evidence must carry the
    check's `key` (the check opened it): no person's debt clears this way without evidence.
    `detail`: what the check found, kept in the clearance and the audit log.
    """
    if not actor.startswith(SYSTEM):
        raise InputError(f"only a system check ({SYSTEM}<check>) clears resolved debt, not {actor}")
    the_clock = clock or SystemClock()
    with governed(store) as tx:
        row = _open_row(tx, debt_id)
        if row.status != "open":
            raise Refused(f"debt {debt_id} is already {row.status}")
        if key not in row.evidence:
            raise Refused(f"debt {debt_id} was not opened by a check keyed {key!r}")
        return _cleared(tx, row, actor, {"kind": "resolved", "key": key, **detail}, the_clock)


def _acceptance(tx: Governed, acceptance_id: str, principle: str, now: datetime) -> dict[str, Any]:
    exc = tx.exception(acceptance_id)
    if exc is None:
        raise InputError(f"no exception or risk acceptance {acceptance_id!r}")
    if exc.status != "approved":
        raise Refused(f"risk acceptance {acceptance_id} is {exc.status}, not approved")
    if exc.expires_at <= now:
        raise Refused(f"risk acceptance {acceptance_id} expired at {exc.expires_at:%F %R} UTC")
    if principle not in exc.principles:
        raise Refused(
            f"risk acceptance {acceptance_id} covers {', '.join(exc.principles)}, not {principle}"
        )
    return {
        "kind": "risk-acceptance",
        "acceptance_id": acceptance_id,
        "expires_at": exc.expires_at.isoformat(),
    }


def get_debt(store: Store, debt_id: str, *, at: datetime | None = None) -> DebtItem:
    """One item; read `at` a time, an item whose risk acceptance expired by then is open."""
    row = get_debt_record(store, debt_id)
    if row is None:
        raise InputError(f"no debt item {debt_id!r}", hint="list them with `safetyloop debt list`")
    return _item(row, at)


def list_debt(
    store: Store, *, status: str | None = None, at: datetime | None = None
) -> list[DebtItem]:
    """Every debt item (or those with `status`), oldest first, as they stand `at` that time
    (None: as stored, without applying expired risk acceptances)."""
    stored = debt_records(store, status=status if at is None else None)
    items = [_item(r, at) for r in stored]
    return [i for i in items if status is None or i.status == status]


def aging_level(item: DebtItem, policy: Policy, now: datetime) -> str:
    """`ok`, `warn`, `escalate` or `block`: the highest SLO threshold the open item has passed."""
    if item.status != "open":
        return "ok"
    age = item.age_days(now)
    passed = [level for level, days in policy.debt_aging[item.severity].steps() if age >= days]
    return passed[-1] if passed else "ok"


def age_debt(
    store: Store, *, actor: str, policy: Policy | None = None, clock: Clock | None = None
) -> list[tuple[DebtItem, str]]:
    """Record each open item's aging level under the clock; a change is audited as `debt.aged`.

    An item whose risk acceptance has expired is reopened first (audited `debt.reopened`).
    Returns every open item with its level now.
    """
    the_policy = policy or load_policy()
    the_clock = clock or SystemClock()
    now = the_clock.now()
    out: list[tuple[DebtItem, str]] = []
    with governed(store) as tx:
        for row in tx.live_debts_for_update():
            if row.status == "cleared" and acceptance_expired(row.clearance, now):
                _reopen(tx, row, actor, the_clock)
            if row.status != "open":
                continue
            level = aging_level(_item(row), the_policy, now)
            if level != row.aging_level:
                tx.audit(
                    actor,
                    "debt.aged",
                    {"debt_id": row.id, "from": row.aging_level, "to": level},
                    the_clock,
                )
                row.aging_level = level
                tx.save_debt(row)
            out.append((_item(row), level))
    return out
