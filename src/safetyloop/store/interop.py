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
from safetyloop.store._runs import NewRun, RunInfo, _create, _info
from safetyloop.store._schema import ResultRow, RunCaseRow, RunRow, ScoreRow
from safetyloop.store._store import Store
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
            pending.append(
                RunCaseRow(
                    run_id=info.id,
                    case_key=item.case.key,
                    position=position,
                    case=item.case.model_dump(mode="json"),
                    **_grouping(RunCaseRow, item.case),
                )
            )
            results.append(_result_row(info.id, item.result))
            scores += [_score_row(info.id, item.case, v) for v in item.verdicts]
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
    s.add_all(scores)
    s.flush()
    cover(s, "result", results)
    cover(s, "score", scores)


def _result_row(run_id: str, result: CaseResult) -> ResultRow:
    return ResultRow(
        run_id=run_id,
        case_key=result.case_key,
        status=result.status,
        response=result.response,
        error_kind=result.error_kind,
        error=result.error,
        finish_reason=result.finish_reason,
        attempts=[a.model_dump() for a in result.attempts],
        cached=int(result.cached),
        latency_s=result.latency_s,
        meta=result.metadata,
        created_at=now(),
    )


def _grouping(table: type[RunCaseRow | ScoreRow], case: Case) -> dict[str, str | None]:
    """What the gate counts a case's verdicts by (migration 0013), on its case and verdict
    rows: the columns of it that `table` has."""
    cluster = case.metadata.get("cluster")
    grouping = {
        "suite": case.suite,
        "category": case.category,
        "expected": case.expected.value,
        "cluster": None if cluster in (None, "") else str(cluster),
    }
    return {k: v for k, v in grouping.items() if hasattr(table, k)}


def _score_row(run_id: str, case: Case, verdict: Verdict) -> ScoreRow:
    return ScoreRow(
        run_id=run_id,
        case_key=case.key,
        **_grouping(ScoreRow, case),
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
