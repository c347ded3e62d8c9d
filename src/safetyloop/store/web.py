"""The web console's persistence: accounts, and the reads a page needs one page at a time.

Runs, their cases and verdicts are read here with SQL that never loads a whole run: a run's
cases come in plan order by keyset (`position > after`, the 0012 index), their verdicts for
those keys only, and counts by `count(*)`, so a 100,000-case run pages as fast as a small one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from safetyloop.errors import InputError
from safetyloop.store._core import now
from safetyloop.store._runs import RunInfo, _info
from safetyloop.store._schema import EVALUATION, ResultRow, RunCaseRow, RunRow, ScoreRow
from safetyloop.store._store import Store
from safetyloop.store._web_schema import WebUserRow

__all__ = [
    "CaseFilter",
    "CaseRecord",
    "LabelChange",
    "Verdict",
    "WebUser",
    "add_user",
    "case_page",
    "count_cases",
    "find_runs",
    "get_case",
    "get_user",
    "label_changes",
    "list_users",
    "run_progress",
    "user_by_token",
]


class WebUser(BaseModel):
    """A console account; the hashes never leave the store except to be checked."""

    model_config = ConfigDict(frozen=True)

    name: str
    password_hash: str | None
    token_hash: str | None
    created_at: datetime


class Verdict(BaseModel):
    model_config = ConfigDict(frozen=True)

    scorer: str
    scorer_version: str
    label: str
    confidence: float
    explanation: str
    borderline: bool


class CaseRecord(BaseModel):
    """One planned case of a run, its result (None: not answered yet) and its verdicts."""

    model_config = ConfigDict(frozen=True)

    position: int
    case_key: str
    case: dict[str, Any]
    status: str | None
    response: str | None
    error_kind: str | None
    error: str | None
    finish_reason: str | None
    latency_s: float | None
    meta: dict[str, Any]
    verdicts: list[Verdict]


class CaseFilter(BaseModel):
    """Which of a run's cases a page shows: a suite, a result status, verdict labels."""

    model_config = ConfigDict(frozen=True)

    suite: str | None = None
    status: str | None = None
    labels: tuple[str, ...] = ()
    scorer_version: str | None = None


# accounts ---------------------------------------------------------------------------------
def _user(row: WebUserRow) -> WebUser:
    return WebUser(
        name=row.name,
        password_hash=row.password_hash,
        token_hash=row.token_hash,
        created_at=row.created_at,
    )


def add_user(
    store: Store, name: str, *, password_hash: str | None = None, token_hash: str | None = None
) -> WebUser:
    """Add an account; a name already taken is refused (exit 2), nothing written."""
    row = WebUserRow(
        name=name, password_hash=password_hash, token_hash=token_hash, created_at=now()
    )
    try:
        with store.session() as s:
            s.add(row)
    except IntegrityError:
        raise InputError(f"a console user named {name!r} already exists") from None
    return _user(row)


def get_user(store: Store, name: str) -> WebUser | None:
    with store.session() as s:
        row = s.get(WebUserRow, name)
        return _user(row) if row else None


def user_by_token(store: Store, token_hash: str) -> WebUser | None:
    with store.session() as s:
        row = s.scalars(select(WebUserRow).where(WebUserRow.token_hash == token_hash)).first()
        return _user(row) if row else None


def list_users(store: Store) -> list[WebUser]:
    with store.session() as s:
        return [_user(r) for r in s.scalars(select(WebUserRow).order_by(WebUserRow.name))]


# runs -------------------------------------------------------------------------------------
def find_runs(
    store: Store,
    *,
    target: str | None = None,
    status: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[RunInfo]:
    """Evaluation runs, newest first, filtered in SQL."""
    query = select(RunRow).where(RunRow.kind == EVALUATION)
    if target:
        query = query.where(RunRow.target_name == target)
    if status:
        query = query.where(RunRow.status == status)
    if since:
        query = query.where(RunRow.created_at >= since)
    if until:
        query = query.where(RunRow.created_at < until)
    query = query.order_by(RunRow.created_at.desc(), RunRow.id).limit(limit).offset(offset)
    with store.session() as s:
        return [_info(r) for r in s.scalars(query)]


def run_progress(store: Store, run_id: str) -> tuple[int, int]:
    """(cases answered, cases planned) of a run, counted in SQL."""
    with store.session() as s:
        done = s.scalar(select(func.count()).where(ResultRow.run_id == run_id)) or 0
        total = s.scalar(select(func.count()).where(RunCaseRow.run_id == run_id)) or 0
        return int(done), int(total)


# cases ------------------------------------------------------------------------------------
def _joined(run_id: str, chosen: CaseFilter) -> Select[RunCaseRow, ResultRow]:
    query = (
        select(RunCaseRow, ResultRow)
        .outerjoin(
            ResultRow,
            (ResultRow.run_id == RunCaseRow.run_id) & (ResultRow.case_key == RunCaseRow.case_key),
        )
        .where(RunCaseRow.run_id == run_id)
    )
    if chosen.suite:
        query = query.where(RunCaseRow.case_key.startswith(f"{chosen.suite}/", autoescape=True))
    if chosen.status:
        query = query.where(ResultRow.status == chosen.status)
    if chosen.labels:
        verdicts = select(ScoreRow.case_key).where(
            ScoreRow.run_id == run_id,
            ScoreRow.case_key == RunCaseRow.case_key,
            ScoreRow.label.in_(chosen.labels),
        )
        if chosen.scorer_version:
            verdicts = verdicts.where(ScoreRow.scorer_version == chosen.scorer_version)
        query = query.where(verdicts.exists())
    return query


def count_cases(store: Store, run_id: str, chosen: CaseFilter | None = None) -> int:
    query = _joined(run_id, chosen or CaseFilter()).with_only_columns(func.count())
    with store.session() as s:
        return int(s.scalar(query) or 0)


def case_page(
    store: Store,
    run_id: str,
    *,
    chosen: CaseFilter | None = None,
    after: int = -1,
    limit: int = 100,
) -> list[CaseRecord]:
    """Up to `limit` cases after plan position `after`, with their results and verdicts."""
    query = (
        _joined(run_id, chosen or CaseFilter())
        .where(RunCaseRow.position > after)
        .order_by(RunCaseRow.position)
        .limit(limit)
    )
    with store.session() as s:
        rows = s.execute(query).all()
        keys = [c.case_key for c, _ in rows]
        verdicts = _verdicts(s, run_id, keys)
        return [_case(c, r, verdicts.get(c.case_key, [])) for c, r in rows]


def get_case(store: Store, run_id: str, case_key: str) -> CaseRecord:
    """One case of a run with its result and every verdict; an unknown key is exit 2."""
    query = _joined(run_id, CaseFilter()).where(RunCaseRow.case_key == case_key)
    with store.session() as s:
        found = s.execute(query).first()
        if found is None:
            raise InputError(f"run {run_id} has no case {case_key!r}")
        case, result = found
        return _case(case, result, _verdicts(s, run_id, [case_key]).get(case_key, []))


def _verdicts(s: Any, run_id: str, keys: list[str]) -> dict[str, list[Verdict]]:
    out: dict[str, list[Verdict]] = {}
    if not keys:
        return out
    rows = s.scalars(
        select(ScoreRow)
        .where(ScoreRow.run_id == run_id, ScoreRow.case_key.in_(keys))
        .order_by(ScoreRow.scorer, ScoreRow.scorer_version)
    )
    for r in rows:
        out.setdefault(r.case_key, []).append(
            Verdict(
                scorer=r.scorer,
                scorer_version=r.scorer_version,
                label=r.label,
                confidence=r.confidence,
                explanation=r.explanation,
                borderline=r.borderline,
            )
        )
    return out


def _case(case: RunCaseRow, result: ResultRow | None, verdicts: list[Verdict]) -> CaseRecord:
    return CaseRecord(
        position=case.position,
        case_key=case.case_key,
        case=case.case,
        status=result.status if result else None,
        response=result.response if result else None,
        error_kind=result.error_kind if result else None,
        error=result.error if result else None,
        finish_reason=result.finish_reason if result else None,
        latency_s=result.latency_s if result else None,
        meta=result.meta if result else {},
        verdicts=verdicts,
    )


# comparisons ------------------------------------------------------------------------------
class LabelChange(BaseModel):
    """A case both runs scored with the same scorer version, whose verdict label differs."""

    model_config = ConfigDict(frozen=True)

    case_key: str
    expected: str
    scorer: str
    scorer_version: str
    baseline_label: str
    candidate_label: str


def label_changes(
    store: Store, baseline_run: str, candidate_run: str, *, limit: int = 500
) -> list[LabelChange]:
    """Up to `limit` cases whose verdict changed between two runs, joined in SQL."""
    base, cand = aliased(ScoreRow), aliased(ScoreRow)
    query = (
        select(base, cand.label, RunCaseRow.case)
        .join(
            cand,
            (cand.case_key == base.case_key) & (cand.scorer_version == base.scorer_version),
        )
        .join(
            RunCaseRow,
            (RunCaseRow.run_id == cand.run_id) & (RunCaseRow.case_key == cand.case_key),
        )
        .where(base.run_id == baseline_run, cand.run_id == candidate_run, base.label != cand.label)
        .order_by(base.case_key, base.scorer_version)
        .limit(limit)
    )
    with store.session() as s:
        return [
            LabelChange(
                case_key=row.case_key,
                expected=str(case.get("expected", "")),
                scorer=row.scorer,
                scorer_version=row.scorer_version,
                baseline_label=row.label,
                candidate_label=label,
            )
            for row, label, case in s.execute(query)
        ]
