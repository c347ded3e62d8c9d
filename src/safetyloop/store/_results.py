"""What runs produced: results (streamed, one per case), scorer verdicts, the response cache."""

from __future__ import annotations

from collections.abc import Collection

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from safetyloop.engine import CachedResponse, CaseResult
from safetyloop.errors import StorageError
from safetyloop.scoring import Score
from safetyloop.store._core import StoreCore, now
from safetyloop.store._coverage import cover
from safetyloop.store._schema import CacheRow, ResultRow, ScoreRow
from safetyloop.store._tallies import cases_of, fill_groups


class BorderlineVerdict(BaseModel):
    """A verdict whose confidence fell inside the uncertainty band: a person should look."""

    model_config = ConfigDict(frozen=True)

    case_key: str
    scorer: str
    scorer_version: str
    label: str
    confidence: float
    explanation: str


def result_row(run_id: str, result: CaseResult) -> ResultRow:
    """The row of one result (a streaming run's, or an import's)."""
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


class ResultRepository(StoreCore):
    """Results, scores and cached responses of runs; results and scores are digested into the
    audit chain in the transaction that writes them."""

    def record_result(self, run_id: str, result: CaseResult) -> None:
        """Write one result now (streaming); a second result for the same case is refused."""
        row = result_row(run_id, result)
        try:
            with self.session() as s:
                s.add(row)
                cover(s, "result", [row])
        except IntegrityError as exc:
            raise StorageError(f"run {run_id} already has a result for {result.case_key}") from exc

    def finished_keys(self, run_id: str) -> set[str]:
        with self.session() as s:
            return set(s.scalars(select(ResultRow.case_key).where(ResultRow.run_id == run_id)))

    def results(
        self, run_id: str, *, suites: Collection[str] | None = None
    ) -> dict[str, CaseResult]:
        """The run's results by case key (only those of `suites`' cases, when given)."""
        with self.session() as s:
            query = select(ResultRow).where(ResultRow.run_id == run_id)
            if suites is not None:
                query = query.where(ResultRow.case_key.in_(cases_of(run_id, suites)))
            rows = s.scalars(query).all()
            return {
                r.case_key: CaseResult(
                    case_key=r.case_key,
                    status=r.status,
                    response=r.response,
                    error_kind=r.error_kind,
                    error=r.error,
                    finish_reason=r.finish_reason,
                    attempts=r.attempts,
                    cached=bool(r.cached),
                    latency_s=r.latency_s,
                    metadata=r.meta,
                )
                for r in rows
            }

    # cache ------------------------------------------------------------------------------
    def cache_get(self, key: str) -> CachedResponse | None:
        with self.session() as s:
            row = s.get(CacheRow, key)
            return (
                CachedResponse(text=row.text, finish_reason=row.finish_reason, metadata=row.meta)
                if row
                else None
            )

    def cache_put(self, key: str, response: CachedResponse) -> None:
        """Cache a response; idempotent (`INSERT ... ON CONFLICT DO NOTHING`): processes that
        answered the same request at once both succeed, and the first answer stays."""
        dialect_insert = (
            postgresql_insert if self.engine.dialect.name == "postgresql" else sqlite_insert
        )
        values = {
            "key": key,
            "text": response.text,
            "finish_reason": response.finish_reason,
            "meta": response.metadata,
            "created_at": now(),
        }
        with self.session() as s:
            s.execute(dialect_insert(CacheRow).values(values).on_conflict_do_nothing())

    # scores -----------------------------------------------------------------------------
    def record_scores(
        self,
        run_id: str,
        scorer: str,
        scorer_version: str,
        scores: dict[str, Score],
        borderline_below: float = 0.0,
    ) -> None:
        """Store verdicts; those with confidence under `borderline_below` are marked borderline.

        Error verdicts are never borderline: they are errors, and are routed as such.
        """
        with self.session() as s:
            rows = [
                ScoreRow(
                    run_id=run_id,
                    case_key=key,
                    scorer=scorer,
                    scorer_version=scorer_version,
                    label=sc.label,
                    confidence=sc.confidence,
                    explanation=sc.explanation,
                    borderline=not sc.is_error and sc.confidence < borderline_below,
                )
                for key, sc in scores.items()
            ]
            fill_groups(s, run_id, rows)
            s.add_all(rows)
            cover(s, "score", rows)

    def borderline(self, run_id: str) -> list[BorderlineVerdict]:
        """Verdicts marked borderline in a run, least confident first."""
        with self.session() as s:
            rows = s.scalars(
                select(ScoreRow)
                .where(ScoreRow.run_id == run_id, ScoreRow.borderline.is_(True))
                .order_by(ScoreRow.confidence, ScoreRow.case_key)
            ).all()
            return [
                BorderlineVerdict(
                    case_key=r.case_key,
                    scorer=r.scorer,
                    scorer_version=r.scorer_version,
                    label=r.label,
                    confidence=r.confidence,
                    explanation=r.explanation,
                )
                for r in rows
            ]

    def scores(
        self, run_id: str, scorer_version: str, *, suites: Collection[str] | None = None
    ) -> dict[str, Score]:
        """A scorer version's verdicts by case key (only on `suites`' cases, when given)."""
        with self.session() as s:
            query = select(ScoreRow).where(
                ScoreRow.run_id == run_id, ScoreRow.scorer_version == scorer_version
            )
            if suites is not None:
                query = query.where(ScoreRow.case_key.in_(cases_of(run_id, suites)))
            rows = s.scalars(query).all()
            return {
                r.case_key: Score(label=r.label, confidence=r.confidence, explanation=r.explanation)
                for r in rows
            }
