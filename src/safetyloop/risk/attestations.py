"""Control attestations: a person states that a control exists and would catch a pathway.

An attestation names the control, its owner, the pathways it covers, how it would catch them,
when it was last checked and when it expires. Adding one writes it to the audit log (the
signed, append-only record of who said what) and queues a `control-attestation` review in the
same transaction; the attester can never sign it. It is *current* only once that review is
approved, from its last check until it expires; a newer attestation of the same control
supersedes an older one for the pathways it covers.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict

from safetyloop.clock import Clock, SystemClock
from safetyloop.errors import InputError
from safetyloop.governance import Policy, load_policy
from safetyloop.governance._session import new_id
from safetyloop.governance.reviews import Proposal, ReviewItem, list_reviews, queue
from safetyloop.risk._lookup import by_prefix
from safetyloop.store import Store
from safetyloop.store.governance import governed

__all__ = [
    "ADDED",
    "Attestation",
    "add_attestation",
    "attestation_for",
    "get_attestation",
    "list_attestations",
]

#: The audit action an attestation is recorded under.
ADDED = "attestation.added"
#: The routing rule (review tier and SLA) attestations are signed under.
RULE = "control-attestation"


class Attestation(BaseModel):
    """An attestation as recorded, with its review's state."""

    model_config = ConfigDict(frozen=True)

    id: str
    control: str
    pathways: list[str]
    owner: str
    how: str
    last_checked: datetime
    expires_at: datetime
    attested_by: str
    attested_at: datetime
    review_id: str
    review_status: str = "pending"
    approvers: list[str] = []

    def state(self, now: datetime) -> str:
        """`current`, or why not: `unsigned` (review pending), `rejected`, `expired`,
        `not yet checked` (last check in the future)."""
        if self.review_status == "rejected":
            return "rejected"
        if self.review_status != "approved":
            return "unsigned"
        if now >= self.expires_at:
            return "expired"
        if now < self.last_checked:
            return "not yet checked"
        return "current"


def _aware(value: datetime, name: str) -> datetime:
    if value.tzinfo is None:
        raise InputError(f"{name} must be a timezone-aware time")
    return value.astimezone(UTC)


def add_attestation(
    store: Store,
    *,
    control: str,
    pathways: list[str],
    owner: str,
    how: str,
    last_checked: datetime,
    expires_at: datetime,
    actor: str,
    known_pathways: list[str] | None = None,
    policy: Policy | None = None,
    clock: Clock | None = None,
) -> tuple[Attestation, ReviewItem]:
    """Record an attestation and queue its review; returns both. Nothing is written when an
    argument is wrong (InputError, exit 2): an unknown pathway (given `known_pathways`), an
    empty field, a last check in the future or an expiry not after it."""
    the_clock = clock or SystemClock()
    now = the_clock.now()
    for name, value in (("control", control), ("owner", owner), ("how", how)):
        if not value.strip():
            raise InputError(f"an attestation needs a non-empty {name}")
    if not pathways:
        raise InputError("name at least one pathway the control covers (--pathway)")
    unknown = sorted(set(pathways) - set(known_pathways or pathways))
    if unknown:
        raise InputError(
            f"unknown pathway {', '.join(unknown)}",
            hint=f"the pathways file names: {', '.join(known_pathways or [])}",
        )
    checked, expires = _aware(last_checked, "--last-checked"), _aware(expires_at, "--expires")
    if checked > now:
        raise InputError(f"the last check {checked:%F %R} UTC is in the future")
    if expires <= now:
        raise InputError(f"the expiry {expires:%F %R} UTC is not in the future")
    att_id = new_id("att")
    with governed(store) as tx:
        item = queue(
            tx,
            Proposal(
                rule=RULE,
                subject=f"attestation {att_id}: control {control}",
                summary=f"{control} (owner {owner}) catches {', '.join(pathways)}: {how} — "
                f"last checked {checked:%F}, expires {expires:%F}",
                author=actor,
            ),
            actor=actor,
            policy=policy or load_policy(),
            clock=the_clock,
        )
        assert item is not None  # a new attestation id was never queued
        payload = {
            "id": att_id,
            "control": control,
            "pathways": sorted(set(pathways)),
            "owner": owner,
            "how": how,
            "last_checked": checked.isoformat(),
            "expires_at": expires.isoformat(),
            "review_id": item.id,
        }
        entry = tx.audit(actor, ADDED, payload, the_clock)
    return _attestation(payload, actor, entry.at, item), item


def _attestation(
    payload: Mapping[str, object], actor: str, at: datetime, review: ReviewItem | None
) -> Attestation:
    return Attestation.model_validate(
        {
            **payload,
            "attested_by": actor,
            "attested_at": at,
            "review_status": review.status if review else "pending",
            "approvers": [g.approver for g in review.signatures if g.verdict == "approve"]
            if review
            else [],
        }
    )


def list_attestations(store: Store) -> list[Attestation]:
    """Every attestation, oldest first, with its review's state."""
    reviews = {r.id: r for r in list_reviews(store)}
    return [
        _attestation(e.payload, e.actor, e.at, reviews.get(str(e.payload["review_id"])))
        for e in store.audit_entries()
        if e.action == ADDED
    ]


def get_attestation(store: Store, attestation_id: str) -> Attestation:
    """One attestation by id or unique prefix."""
    return by_prefix(
        list_attestations(store), attestation_id, "attestation", "see `safetyloop attest list`"
    )


def attestation_for(
    attestations: list[Attestation], control: str, pathway: str, now: datetime
) -> Attestation | None:
    """The newest current attestation of `control` covering `pathway`; else the newest one in
    any state (so the report can say why it is not current); None when there is none."""
    covering = [a for a in attestations if a.control == control and pathway in a.pathways]
    current = [a for a in covering if a.state(now) == "current"]
    chosen = current or covering
    return chosen[-1] if chosen else None
