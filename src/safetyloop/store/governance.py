"""Governance's persistence: review items and signatures, the debt ledger, and exceptions.

Every change happens inside `governed(store)`: one transaction that holds the audit log's write
lock from its first statement (PostgreSQL: a transaction-level advisory lock; SQLite: the RESERVED
lock, by writing first), so governance actions are serialised with each other and with every audit
append, and a change and its audit entry commit together or not at all. Records are mutable
dataclasses: read one `for_update`, change it, `save` it; reads outside a transaction return
the same records.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from safetyloop.audit_chain import AuditEntry
from safetyloop.clock import Clock
from safetyloop.errors import StorageError
from safetyloop.store._audit import chain_audit
from safetyloop.store._coverage import cover
from safetyloop.store._governance_schema import (
    DebtRow,
    ExceptionRow,
    ReviewItemRow,
    ReviewSignatureRow,
)
from safetyloop.store._override_schema import VerdictOverrideRow
from safetyloop.store._store import Store

__all__ = [
    "DebtRecord",
    "ExceptionRecord",
    "Governed",
    "ReviewRecord",
    "SignatureRecord",
    "VerdictOverride",
    "debt_records",
    "exception_records",
    "get_debt_record",
    "get_exception_record",
    "get_review_record",
    "governed",
    "queued_keys",
    "review_records",
    "verdict_overrides",
]


@dataclass(slots=True)
class ReviewRecord:
    """A review item as stored (`review_items`)."""

    id: str
    rule: str
    tier: int
    status: str
    run_id: str | None
    target: str | None
    principle: str | None
    subject: str
    summary: str
    dedupe_key: str
    author: str | None
    exception_id: str | None
    created_at: datetime
    due_at: datetime
    escalation_level: int
    escalations: list[dict[str, Any]]
    decided_at: datetime | None
    version: int


@dataclass(frozen=True, slots=True)
class SignatureRecord:
    """One person's signature on a review item (`review_signatures`)."""

    approver: str
    role: str | None
    verdict: str
    reason: str
    at: datetime


@dataclass(slots=True)
class DebtRecord:
    """A debt item as stored (`debt_items`)."""

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


@dataclass(slots=True)
class ExceptionRecord:
    """An exception request as stored (`gate_exceptions`)."""

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


@dataclass(frozen=True, slots=True)
class VerdictOverride:
    """A reviewer's label for one scorer version's verdict on a run's case (`verdict_overrides`):
    the gate counts `label` instead of the scorer's `was`."""

    run_id: str
    case_key: str
    scorer: str
    scorer_version: str
    was: str
    label: str
    reviewer: str
    reason: str
    review_id: str | None
    created_at: datetime


R = TypeVar("R")


def _record(row: object, kind: type[R]) -> R:
    """The row's columns as a record (JSON lists and dicts copied, so edits stay local)."""
    values = {f.name: getattr(row, f.name) for f in fields(kind)}  # type: ignore[arg-type]
    return kind(**{k: _copy(v) for k, v in values.items()})


def _copy(value: Any) -> Any:
    if isinstance(value, list):
        return [_copy(v) for v in value]
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    return value


def _write(row: object, record: object) -> None:
    for f in fields(record):  # type: ignore[arg-type]
        setattr(row, f.name, _copy(getattr(record, f.name)))


class Governed:
    """One governance transaction (see the module docstring); get one from `governed`."""

    def __init__(self, session: Session) -> None:
        self._s = session

    def audit(self, actor: str, action: str, payload: dict[str, Any], clock: Clock) -> AuditEntry:
        """Chain an audit entry inside this transaction."""
        return chain_audit(self._s, actor, action, payload, clock)

    # reviews ----------------------------------------------------------------------------
    def review_queued(self, dedupe_key: str) -> bool:
        query = select(ReviewItemRow.id).where(ReviewItemRow.dedupe_key == dedupe_key)
        return self._s.scalars(query).first() is not None

    def add_review(self, review: ReviewRecord) -> None:
        row = ReviewItemRow()
        _write(row, review)
        self._s.add(row)

    def review_for_update(self, item_id: str) -> ReviewRecord | None:
        """The item, its row locked until commit (`SELECT ... FOR UPDATE`)."""
        row = self._s.scalars(
            select(ReviewItemRow).where(ReviewItemRow.id == item_id).with_for_update()
        ).first()
        return None if row is None else _record(row, ReviewRecord)

    def pending_reviews_for_update(self) -> list[ReviewRecord]:
        """Every pending item, oldest first, rows locked until commit."""
        rows = self._s.scalars(
            select(ReviewItemRow)
            .where(ReviewItemRow.status == "pending")
            .order_by(ReviewItemRow.created_at)
            .with_for_update()
        ).all()
        return [_record(r, ReviewRecord) for r in rows]

    def save_review(self, review: ReviewRecord) -> None:
        _write(self._s.get_one(ReviewItemRow, review.id), review)

    def signatures(self, item_id: str) -> list[SignatureRecord]:
        return _signatures(self._s, item_id)

    def add_signature(self, item_id: str, signature: SignatureRecord) -> None:
        """Store a signature, digested into the audit chain in this transaction."""
        row = ReviewSignatureRow(item_id=item_id)
        _write(row, signature)
        self._s.add(row)
        cover(self._s, "signature", [row])

    # verdict overrides ------------------------------------------------------------------
    def override_of(self, run_id: str, case_key: str, scorer_version: str) -> bool:
        """Whether this verdict is overridden already (one override per verdict)."""
        query = select(VerdictOverrideRow.id).where(
            VerdictOverrideRow.run_id == run_id,
            VerdictOverrideRow.case_key == case_key,
            VerdictOverrideRow.scorer_version == scorer_version,
        )
        return self._s.scalars(query).first() is not None

    def add_override(self, override: VerdictOverride) -> None:
        row = VerdictOverrideRow()
        _write(row, override)
        self._s.add(row)

    # exceptions -------------------------------------------------------------------------
    def exception(self, exception_id: str) -> ExceptionRecord | None:
        row = self._s.get(ExceptionRow, exception_id)
        return None if row is None else _record(row, ExceptionRecord)

    def add_exception(self, exception: ExceptionRecord) -> None:
        row = ExceptionRow()
        _write(row, exception)
        self._s.add(row)

    def save_exception(self, exception: ExceptionRecord) -> None:
        _write(self._s.get_one(ExceptionRow, exception.id), exception)

    # debt -------------------------------------------------------------------------------
    def debt_for_update(self, debt_id: str) -> DebtRecord | None:
        """The item, its row locked until commit."""
        row = self._s.scalars(
            select(DebtRow).where(DebtRow.id == debt_id).with_for_update()
        ).first()
        return None if row is None else _record(row, DebtRecord)

    def live_debts_for_update(self) -> list[DebtRecord]:
        """Every open or cleared item, oldest first, rows locked until commit."""
        rows = self._s.scalars(
            select(DebtRow)
            .where(DebtRow.status.in_(("open", "cleared")))
            .order_by(DebtRow.created_at)
            .with_for_update()
        ).all()
        return [_record(r, DebtRecord) for r in rows]

    def add_debt(self, debt: DebtRecord) -> None:
        row = DebtRow()
        _write(row, debt)
        self._s.add(row)

    def save_debt(self, debt: DebtRecord) -> None:
        _write(self._s.get_one(DebtRow, debt.id), debt)


@contextmanager
def governed(store: Store) -> Iterator[Governed]:
    """A governance transaction holding the audit write lock until it commits."""
    try:
        with store.session() as s:
            store.lock_audit(s)
            yield Governed(s)
    except IntegrityError as exc:
        raise StorageError(
            f"a concurrent change conflicted with this one: {exc.orig}", hint="retry"
        ) from exc


def _signatures(s: Session, item_id: str) -> list[SignatureRecord]:
    rows = s.scalars(
        select(ReviewSignatureRow)
        .where(ReviewSignatureRow.item_id == item_id)
        .order_by(ReviewSignatureRow.id)
    )
    return [_record(g, SignatureRecord) for g in rows]


# reads outside a governance transaction --------------------------------------------------
def verdict_overrides(store: Store, run_id: str) -> list[VerdictOverride]:
    """The run's overridden verdicts, oldest first."""
    with store.session() as s:
        rows = s.scalars(
            select(VerdictOverrideRow)
            .where(VerdictOverrideRow.run_id == run_id)
            .order_by(VerdictOverrideRow.id)
        )
        return [_record(r, VerdictOverride) for r in rows]


def queued_keys(store: Store, keys: list[str]) -> set[str]:
    """Which of these review dedupe keys are queued already (in any status)."""
    if not keys:
        return set()
    with store.session() as s:
        found = s.scalars(
            select(ReviewItemRow.dedupe_key).where(ReviewItemRow.dedupe_key.in_(keys))
        )
        return set(found)


def get_review_record(
    store: Store, item_id: str
) -> tuple[ReviewRecord, list[SignatureRecord]] | None:
    with store.session() as s:
        row = s.get(ReviewItemRow, item_id)
        return None if row is None else (_record(row, ReviewRecord), _signatures(s, item_id))


def review_records(
    store: Store, *, status: str | None = None, run_id: str | None = None
) -> list[tuple[ReviewRecord, list[SignatureRecord]]]:
    """Review items (all, or with `status` / of `run_id`), oldest first, with signatures.

    Two queries, whatever the number of items: the items, then all their signatures.
    """
    where = []
    if status is not None:
        where.append(ReviewItemRow.status == status)
    if run_id is not None:
        where.append(ReviewItemRow.run_id == run_id)
    with store.session() as s:
        rows = s.scalars(
            select(ReviewItemRow).where(*where).order_by(ReviewItemRow.created_at, ReviewItemRow.id)
        ).all()
        signed: dict[str, list[SignatureRecord]] = {r.id: [] for r in rows}
        for g in s.scalars(
            select(ReviewSignatureRow)
            .join(ReviewItemRow, ReviewItemRow.id == ReviewSignatureRow.item_id)
            .where(*where)
            .order_by(ReviewSignatureRow.id)
        ):
            if g.item_id in signed:  # not an item created since the first query
                signed[g.item_id].append(_record(g, SignatureRecord))
        return [(_record(r, ReviewRecord), signed[r.id]) for r in rows]


def get_debt_record(store: Store, debt_id: str) -> DebtRecord | None:
    with store.session() as s:
        row = s.get(DebtRow, debt_id)
        return None if row is None else _record(row, DebtRecord)


def debt_records(store: Store, *, status: str | None = None) -> list[DebtRecord]:
    """Every debt item (or those with `status`), oldest first."""
    with store.session() as s:
        query = select(DebtRow).order_by(DebtRow.created_at, DebtRow.id)
        if status is not None:
            query = query.where(DebtRow.status == status)
        return [_record(r, DebtRecord) for r in s.scalars(query)]


def get_exception_record(store: Store, exception_id: str) -> ExceptionRecord | None:
    with store.session() as s:
        row = s.get(ExceptionRow, exception_id)
        return None if row is None else _record(row, ExceptionRecord)


def exception_records(store: Store, *, target: str | None = None) -> list[ExceptionRecord]:
    """Every exception (or those of `target`), oldest first."""
    with store.session() as s:
        query = select(ExceptionRow).order_by(ExceptionRow.created_at, ExceptionRow.id)
        if target is not None:
            query = query.where(ExceptionRow.target == target)
        return [_record(r, ExceptionRecord) for r in s.scalars(query)]
