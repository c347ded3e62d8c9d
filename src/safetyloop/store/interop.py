"""Runs brought in from other tools (Inspect logs): written whole in one transaction.

An import streams its cases in (one sample at a time, flushed in batches) inside one
transaction, so a log that turns out bad half-way leaves nothing behind. The run's lineage
(suite and scorer versions, which hash every case) is only known once every case has been
read: `import_run` asks for it at the end and writes it onto the run row before committing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from safetyloop.engine import CaseResult
from safetyloop.errors import StorageError
from safetyloop.scoring import Score
from safetyloop.store._core import now
from safetyloop.store._coverage import _columns, cover
from safetyloop.store._results import result_row
from safetyloop.store._runs import NewRun, RunInfo, _create, _info, case_row
from safetyloop.store._schema import Base, ResultRow, RunCaseRow, RunRow, ScoreRow
from safetyloop.store._store import Store
from safetyloop.store._tallies import fill_groups
from safetyloop.suites import Case

__all__ = ["ImportedCase", "Verdict", "add_scorer_version", "find_imported", "import_run"]

#: Rows added between flushes: memory stays bounded however long the log is.
_BATCH = 200


@dataclass(frozen=True)
class Verdict:
    """One verdict of one scorer version on an imported case."""

    scorer: str
    scorer_version: str
    score: Score


@dataclass(frozen=True)
class ImportedCase:
    """A case as another tool ran it: what was asked, what came back, and its verdicts."""

    case: Case
    result: CaseResult
    verdicts: list[Verdict] = field(default_factory=list)


def find_imported(store: Store, plan_hash: str) -> RunInfo | None:
    """The finished run already imported from this exact log (its plan hash), if any."""
    with store.session() as s:
        row = s.scalars(
            select(RunRow).where(RunRow.plan_hash == plan_hash, RunRow.status == "finished")
        ).first()
        return _info(row) if row else None


def import_run(
    store: Store,
    run: NewRun,
    cases: Iterable[ImportedCase],
    lineage: Callable[[], NewRun],
) -> RunInfo:
    """Write a finished run and every case, result and verdict in one transaction.

    `run` is written first (its cases refer to it); once `cases` is exhausted, `lineage()`
    gives the final versions, which replace the first ones. Any error while reading `cases`
    rolls everything back.
    """
    with store.session() as s:
        info = _create(s, run, [])
        pending: list[RunCaseRow] = []
        results: list[ResultRow] = []
        scores: list[ScoreRow] = []
        for position, item in enumerate(cases):
            pending.append(case_row(info.id, position, item.case))
            results.append(result_row(info.id, item.result))
            scores += [_score_row(info.id, item.case.key, v) for v in item.verdicts]
            if len(pending) >= _BATCH:
                _flush(s, pending, results, scores)
                pending, results, scores = [], [], []
        _flush(s, pending, results, scores)
        final = lineage()
        row = s.get(RunRow, info.id)
        if row is None:  # pragma: no cover - written above in this transaction
            raise StorageError(f"run {info.id} vanished during its import")
        for name, value in final.model_dump().items():
            setattr(row, name, value)
        row.status, row.finished_at = "finished", now()
        s.flush()
        return _info(row)


def _flush(
    s: Session, cases: list[RunCaseRow], results: list[ResultRow], scores: list[ScoreRow]
) -> None:
    """Write one batch as three multi-row INSERTs (no per-row ORM unit of work) and digest
    every row into the audit chain: the rows are built by the ledger's own builders and
    digested by `cover` exactly as a streamed run's are, only inserted in bulk."""
    if not cases:
        return
    _insert(s, RunCaseRow, cases)
    _insert(s, ResultRow, results)
    fill_groups(s, cases[0].run_id, scores)  # the gate counts verdicts by their case's group
    _insert(s, ScoreRow, scores)
    cover(s, "result", results)
    cover(s, "score", scores)


#: Per covered table, the columns that tell its rows of one run apart (checked on read-back).
_IDENTITY: dict[type[Base], tuple[str, ...]] = {
    RunCaseRow: ("case_key",),
    ResultRow: ("case_key",),
    ScoreRow: ("case_key", "scorer", "scorer_version"),
}


def _insert(s: Session, table: type[Base], rows: Sequence[Any]) -> None:
    """Insert transient `rows` of one run with one executemany and give each the id the
    database chose, which its audit digest covers.

    The ids are read back as the run's rows above the highest id it had (the run is being
    written in this transaction: no one else adds to it), in id order, and each is checked
    against its row's identity, so a row can never be digested under another row's id.
    """
    if not rows:
        return
    t: Any = table
    run_id = rows[0].run_id
    last = s.scalar(select(func.max(t.id)).where(t.run_id == run_id)) or 0
    columns = [c for c in _columns(table) if c != "id"]
    s.connection().execute(insert(t.__table__), [{c: getattr(r, c) for c in columns} for r in rows])
    identity = _IDENTITY[table]
    found = s.execute(
        select(t.id, *(getattr(t, c) for c in identity))
        .where(t.run_id == run_id, t.id > last)
        .order_by(t.id)
    ).all()
    if len(found) != len(rows):  # pragma: no cover - only a writer outside the run could
        raise StorageError(f"run {run_id}: {len(found)} rows read back for {len(rows)} written")
    for row, (row_id, *key) in zip(rows, found, strict=True):
        if key != [getattr(row, c) for c in identity]:  # pragma: no cover - as above
            raise StorageError(f"run {run_id}: rows read back out of order at id {row_id}")
        row.id = row_id


def _score_row(run_id: str, case_key: str, verdict: Verdict) -> ScoreRow:
    return ScoreRow(
        run_id=run_id,
        case_key=case_key,
        scorer=verdict.scorer,
        scorer_version=verdict.scorer_version,
        label=verdict.score.label,
        confidence=verdict.score.confidence,
        explanation=verdict.score.explanation,
        borderline=False,
    )


def add_scorer_version(store: Store, run_id: str, scorer: str, version: str) -> None:
    """Name one more scorer version in a run's lineage (a re-score), so the gate reads it."""
    with store.session() as s:
        row = s.get(RunRow, run_id)
        if row is None:
            raise StorageError(f"no run {run_id}")
        row.scorer_versions = {**row.scorer_versions, scorer: version}
