"""A run's verdicts counted in SQL: what the gate decides on, without reading a verdict back.

A run case and each verdict on it carry the case's grouping (suite, category, expected
behaviour, cluster; migration 0013), so counting a million verdicts is two index scans grouped
by those columns, not a million rows mapped to records. Verdicts stored before 0013 have no
grouping of their own and are joined to their cases; verdicts on failed answers are taken out
(an error is never evidence), through the index on the results' status.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from safetyloop.store._core import StoreCore
from safetyloop.store._override_schema import VerdictOverrideRow
from safetyloop.store._schema import ResultRow, RunCaseRow, ScoreRow

#: Case keys per `IN (...)` when verdicts look up their cases (under every database's limit).
KEYS_PER_QUERY = 500

Group = tuple[str, str, str, str | None]


@dataclass(frozen=True)
class VerdictGroup:
    """`count` cases of a run alike in suite, category, expected behaviour and cluster, which
    one scorer version gave `label` (None: no usable verdict, no successful answer or none
    stored; an `error` verdict keeps its label and is no evidence either)."""

    suite: str
    category: str
    expected: str
    cluster: str | None
    label: str | None
    count: int


def _grouping(table: Any) -> list[InstrumentedAttribute[Any]]:
    return [table.suite, table.category, table.expected, table.cluster]


def fill_groups(s: Session, run_id: str, rows: Sequence[ScoreRow]) -> None:
    """Copy each verdict's case grouping onto its row before it is written (a key the run
    did not plan keeps NULL, and is counted as the run's cases are: not at all)."""
    found: dict[str, tuple[Any, ...]] = {}
    keys = sorted({r.case_key for r in rows})
    for start in range(0, len(keys), KEYS_PER_QUERY):
        chunk = keys[start : start + KEYS_PER_QUERY]
        query = select(RunCaseRow.case_key, *_grouping(RunCaseRow)).where(
            RunCaseRow.run_id == run_id, RunCaseRow.case_key.in_(chunk)
        )
        found.update((key, tuple(rest)) for key, *rest in s.execute(query))
    for row in rows:
        group = found.get(row.case_key)
        if group is not None and group[0] is not None:
            row.suite, row.category, row.expected, row.cluster = group


def cases_of(run_id: str, suites: Collection[str]) -> Select[str]:
    """The keys of the run's cases of `suites`, as a subquery for `IN`."""
    return select(RunCaseRow.case_key).where(
        RunCaseRow.run_id == run_id, RunCaseRow.suite.in_(sorted(suites))
    )


class TallyRepository(StoreCore):
    """Counts of a run's verdicts, grouped as the gate reads them."""

    def verdict_groups(self, run_id: str, scorer_version: str) -> list[VerdictGroup]:
        """Every planned case of run `run_id`, counted by grouping and by the verdict
        `scorer_version` gave it, in a fixed order."""
        with self.session() as s:
            cases = select(*_grouping(RunCaseRow), func.count()).where(RunCaseRow.run_id == run_id)
            totals: Counter[Group] = Counter()
            for *values, count in s.execute(cases.group_by(*_grouping(RunCaseRow))):
                totals[_group(values)] += count
            verdicts = _verdicts(s, run_id, scorer_version)
        out: list[VerdictGroup] = []
        for group in sorted(totals, key=_order):
            suite, category, expected, cluster = group
            left = totals[group]
            for label, count in sorted(verdicts.get(group, Counter()).items()):
                if count > 0:
                    out.append(VerdictGroup(suite, category, expected, cluster, label, count))
                    left -= count
            if left:
                out.append(VerdictGroup(suite, category, expected, cluster, None, left))
        return out


def _verdicts(s: Session, run_id: str, version: str) -> dict[Group, Counter[str]]:
    """Group → label → verdicts of `version` on the run's successful answers."""
    of_version = and_(ScoreRow.run_id == run_id, ScoreRow.scorer_version == version)
    with_case = and_(RunCaseRow.run_id == ScoreRow.run_id, RunCaseRow.case_key == ScoreRow.case_key)
    labelled = [*_grouping(ScoreRow), ScoreRow.label]
    by_case = [*_grouping(RunCaseRow), ScoreRow.label]
    grouped = select(*labelled, func.count()).where(of_version, ScoreRow.suite.is_not(None))
    before_0013 = (
        select(*by_case, func.count())
        .join(RunCaseRow, with_case)
        .where(of_version, ScoreRow.suite.is_(None))
    )
    out: dict[Group, Counter[str]] = {}
    for query, columns in ((grouped, labelled), (before_0013, by_case)):
        for *group, label, count in s.execute(query.group_by(*columns)):
            out.setdefault(_group(group), Counter())[label] += count
    # Verdicts on failed answers are no evidence: found from the (few) failures, key by key,
    # so that the database never walks the whole run to look for them.
    failed = sorted(
        s.scalars(
            select(ResultRow.case_key).where(ResultRow.run_id == run_id, ResultRow.status != "ok")
        )
    )
    for start in range(0, len(failed), KEYS_PER_QUERY):
        keys = failed[start : start + KEYS_PER_QUERY]
        query = (
            select(*by_case, func.count())
            .join(RunCaseRow, with_case)
            .where(of_version, ScoreRow.case_key.in_(keys))
            .group_by(*by_case)
        )
        for *group, label, count in s.execute(query):
            out.setdefault(_group(group), Counter())[label] -= count
    # Verdicts people overrode (few) count with the reviewer's label instead of the scorer's.
    overridden = VerdictOverrideRow
    relabelled = (
        select(*_grouping(RunCaseRow), overridden.was, overridden.label)
        .join(
            RunCaseRow,
            and_(
                RunCaseRow.run_id == overridden.run_id,
                RunCaseRow.case_key == overridden.case_key,
            ),
        )
        .join(
            ResultRow,
            and_(ResultRow.run_id == overridden.run_id, ResultRow.case_key == overridden.case_key),
        )
        .where(
            overridden.run_id == run_id,
            overridden.scorer_version == version,
            ResultRow.status == "ok",
        )
    )
    for *group, was, label in s.execute(relabelled):
        counts = out.setdefault(_group(group), Counter())
        counts[was] -= 1
        counts[label] += 1
    return out


def _group(values: Sequence[Any]) -> Group:
    suite, category, expected, cluster = values
    return str(suite), str(category), str(expected), cluster


def _order(group: Group) -> tuple[str, str, str, str]:
    return group[0], group[1], group[2], group[3] or ""
