"""Exceptions: ship a target despite a BLOCK on named principles, until an expiry.

A request names the BLOCKed run (its latest recorded gate decision must BLOCK each principle), a
mitigation plan and an expiry, and queues a tier-3 `block-override` review. Only when the
committee has approved it, and until it expires, does the gate turn those principles' BLOCK into
WARN (rule `exception`) for releases of the same target. An approved exception is also the risk
acceptance that can clear debt on its principles (`debt.clear_debt(acceptance_id=...)`).
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict

from safetyloop.clock import Clock, SystemClock
from safetyloop.errors import InputError
from safetyloop.gate import Decision
from safetyloop.governance._actor import current_actor
from safetyloop.governance._policy import Policy, load_policy
from safetyloop.governance._session import Refused, new_id
from safetyloop.governance.reviews import Proposal, ReviewItem, queue
from safetyloop.store import Store
from safetyloop.store.governance import (
    ExceptionRecord,
    exception_records,
    get_exception_record,
    governed,
)

__all__ = [
    "GateException",
    "active_exceptions",
    "get_exception",
    "list_exceptions",
    "release_author",
    "request_exception",
]


class GateException(BaseModel):
    """An exception as stored."""

    model_config = ConfigDict(frozen=True)

    id: str
    target: str
    run_id: str
    principles: list[str]
    mitigation: str
    reason: str
    status: str
    requested_by: str
    created_at: datetime
    expires_at: datetime
    review_id: str | None
    decided_at: datetime | None

    def active(self, now: datetime) -> bool:
        return self.status == "approved" and now < self.expires_at


def _exception(row: ExceptionRecord) -> GateException:
    return GateException(**asdict(row))


def release_author(store: Store, run_id: str) -> str | None:
    """Who started run `run_id` (None if its start was never audited)."""
    return store.run_started_by(run_id)


def _blocked(store: Store, run_id: str) -> dict[str, str]:
    """Principle id → status in the run's latest recorded gate decision (before exceptions)."""
    recorded = store.latest_gate_decision(run_id)
    if recorded is None:
        raise Refused(
            f"run {run_id} has no recorded gate decision: nothing to make an exception to",
            hint=f"gate it first with `safetyloop gate {run_id}`",
        )
    decision = Decision.model_validate(recorded.body)
    # A BLOCK already waived by an exception still counts, so an exception can be renewed.
    return {
        p.id: "BLOCK" if any(f.rule == "exception" for f in p.findings) else str(p.status)
        for p in decision.principles
    }


def request_exception(
    store: Store,
    *,
    run_id: str,
    principles: list[str],
    expires_at: datetime,
    mitigation: str,
    reason: str,
    actor: str | None = None,
    policy: Policy | None = None,
    clock: Clock | None = None,
) -> tuple[GateException, ReviewItem]:
    """Record a pending exception and queue its tier-3 review; returns both."""
    who = actor or current_actor()
    the_clock = clock or SystemClock()
    now = the_clock.now()
    if not principles:
        raise InputError("name at least one principle the exception covers (--principle)")
    if not mitigation.strip() or not reason.strip():
        raise InputError("an exception needs a mitigation plan and a reason")
    if expires_at.tzinfo is None:
        raise InputError("the expiry must be a timezone-aware time")
    expires_at = expires_at.astimezone(UTC)  # as the store will hand it back
    if expires_at <= now:
        raise InputError(f"the expiry {expires_at:%F %R} UTC is not in the future")
    run = store.get_run(run_id)
    statuses = _blocked(store, run.id)
    for principle in principles:
        if principle not in statuses:
            raise InputError(
                f"principle {principle!r} is not in the gate decision of run {run.id}",
                hint=f"its principles: {', '.join(statuses)}",
            )
        if statuses[principle] != "BLOCK":
            raise Refused(
                f"principle {principle} is {statuses[principle]} on run {run.id}, not BLOCK: "
                "an exception only overrides a BLOCK"
            )
    author = release_author(store, run.id)
    with governed(store) as tx:
        row = ExceptionRecord(
            id=new_id("exc"),
            target=run.target_name,
            run_id=run.id,
            principles=sorted(set(principles)),
            mitigation=mitigation,
            reason=reason,
            status="pending",
            requested_by=who,
            created_at=now,
            expires_at=expires_at,
            review_id=None,
            decided_at=None,
        )
        tx.add_exception(row)
        tx.audit(
            who,
            "exception.requested",
            {
                "exception_id": row.id,
                "run_id": run.id,
                "target": run.target_name,
                "principles": row.principles,
                "expires_at": expires_at.isoformat(),
            },
            the_clock,
        )
        item = queue(
            tx,
            Proposal(
                rule="block-override",
                subject=f"exception {row.id}: ship despite BLOCK on {', '.join(row.principles)}",
                summary=f"{reason} — mitigation: {mitigation} — expires {expires_at:%F %R} UTC",
                run_id=run.id,
                target=run.target_name,
                principle=row.principles[0],
                author=author,
                exception_id=row.id,
            ),
            actor=who,
            policy=policy or load_policy(),
            clock=the_clock,
        )
        assert item is not None  # a new exception id is never queued before
        row.review_id = item.id
        tx.save_exception(row)
        return _exception(row), item


def get_exception(store: Store, exception_id: str) -> GateException:
    row = get_exception_record(store, exception_id)
    if row is None:
        raise InputError(f"no exception {exception_id!r}", hint="see `safetyloop exception list`")
    return _exception(row)


def list_exceptions(store: Store, *, target: str | None = None) -> list[GateException]:
    return [_exception(r) for r in exception_records(store, target=target)]


def active_exceptions(store: Store, target: str, now: datetime) -> list[GateException]:
    """Approved, unexpired exceptions for releases of `target` at `now`."""
    return [e for e in list_exceptions(store, target=target) if e.active(now)]
