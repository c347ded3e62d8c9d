"""Runs brought in from other tools (Inspect logs): written whole in one transaction.

An import streams its cases in (one sample at a time, flushed in batches) inside one
transaction, so a log that turns out bad half-way leaves nothing behind. The run's lineage
(suite and scorer versions, which hash every case) is only known once every case has been
read: `import_run` asks for it at the end and writes it onto the run row before committing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from safetyloop.engine import CaseResult
from safetyloop.errors import StorageError
from safetyloop.scoring import Score
from safetyloop.store._core import now
from safetyloop.store._coverage import cover
from safetyloop.store._results import result_row
from safetyloop.store._runs import NewRun, RunInfo, _create, _info, case_row
from safetyloop.store._schema import ResultRow, RunCaseRow, RunRow, ScoreRow
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
    s.add_all(cases)
    s.add_all(results)
    s.flush()
    if cases:  # verdicts carry their case's grouping, which the gate counts them by
        fill_groups(s, cases[0].run_id, scores)
    s.add_all(scores)
    s.flush()
    cover(s, "result", results)
    cover(s, "score", scores)


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
