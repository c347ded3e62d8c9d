"""Verdicts under the audit chain: each result, score, gate decision and review signature is
digested into the chain in the transaction that writes it.

The digest covers the row's every column (its id included), so editing a stored score, swapping
two rows' contents, deleting a row or inserting one outside safetyloop no longer matches the
chain. One hash per row; the chain links are appended in one batch per transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from safetyloop._hashing import content_hash
from safetyloop.audit_chain import time_text
from safetyloop.clock import SystemClock
from safetyloop.store._audit import chain_audits, lock_written
from safetyloop.store._core import StoreCore
from safetyloop.store._governance_schema import ReviewSignatureRow
from safetyloop.store._schema import Base, GateDecisionRow, ResultRow, ScoreRow

#: Who appends the covering entries: the store itself (the person acting is in `run.started`,
#: `gate.decided` and the review entries).
STORE_ACTOR = "safetyloop-store"
#: Row kind → its table's row class.
COVERED: dict[str, type[Any]] = {
    "result": ResultRow,
    "score": ScoreRow,
    "decision": GateDecisionRow,
    "signature": ReviewSignatureRow,
}
#: Row kind → the action of the entry that covers one row of it.
COVER_ACTION = {kind: f"{kind}.recorded" for kind in COVERED}
#: The entry migration 0010 writes into a store that held rows before coverage began.
COVERAGE_STARTED = "audit.coverage_started"


@dataclass(frozen=True)
class CoveredRow:
    """A stored row of a covered kind, as verification sees it."""

    kind: str
    id: int
    label: str
    digest: str


#: Columns a covered table gained after rows of it were digested (scores: the case's grouping,
#: migration 0013). Left out of the digest while NULL, so rows digested before keep their
#: digest; once set, they are covered like every other column (setting or clearing one shows).
ADDED_LATER: dict[type[Base], frozenset[str]] = {
    ScoreRow: frozenset({"suite", "category", "expected", "cluster"}),
}


def row_digest(row: Base) -> str:
    """SHA-256 of every column of the row, times in their one hashed text form."""
    later = ADDED_LATER.get(type(row), frozenset())
    values = {k: getattr(row, k) for k in _columns(type(row))}
    return content_hash(
        {k: _plain(v) for k, v in values.items() if v is not None or k not in later}
    )


@cache
def _columns(table: type[Base]) -> tuple[str, ...]:
    return tuple(a.key for a in inspect(table).column_attrs)


def row_label(kind: str, row: Any) -> str:
    """How a row is named to people: its kind, id, and what it belongs to."""
    if kind == "result":
        return f"result {row.id} (run {row.run_id}, case {row.case_key})"
    if kind == "score":
        return f"score {row.id} (run {row.run_id}, case {row.case_key}, scorer {row.scorer})"
    if kind == "decision":
        return f"gate decision {row.id} (run {row.run_id}, {row.decision})"
    return f"review signature {row.id} (item {row.item_id}, by {row.approver})"


def cover(s: Session, kind: str, rows: Sequence[Any]) -> None:
    """Digest freshly added `rows` of `kind` into the chain, in the transaction that adds them."""
    s.flush()  # the ids; on SQLite this write takes the database's write lock
    lock_written(s)
    chain_audits(
        s,
        STORE_ACTOR,
        [
            (
                COVER_ACTION[kind],
                {"row": kind, "id": r.id, "ref": row_label(kind, r), "digest": row_digest(r)},
            )
            for r in rows
        ],
        SystemClock(),
    )


class CoverageRepository(StoreCore):
    """Reads every covered row back, digested, for verification."""

    def covered_rows(self) -> list[CoveredRow]:
        with self.session() as s:
            return [
                CoveredRow(kind, r.id, row_label(kind, r), row_digest(r))
                for kind, table in COVERED.items()
                for r in s.scalars(select(table))
            ]


def _plain(value: Any) -> Any:
    return time_text(value) if isinstance(value, datetime) else value
