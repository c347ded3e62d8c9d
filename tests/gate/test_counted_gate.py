"""The gate decides the same on verdicts counted in SQL as on every verdict read back.

A store is filled through its own write path with a varied run: several suites, categories and
both expected behaviours, clustered and independent cases, failed and missing answers, error
and missing verdicts, a verdict on a failed answer, and verdicts stored before migration 0013
(no grouping of their own). The decision on `evidence_for(..., counted_for=...)` (SQL counts)
must equal the one on the whole evidence, field for field, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import update
from tests.gate.gate_helpers import constitution, principle, ruled

from safetyloop.api import evidence_for
from safetyloop.config import Constitution
from safetyloop.engine import CaseResult
from safetyloop.gate import evaluate
from safetyloop.scoring import Score
from safetyloop.store import NewRun, Store
from safetyloop.store._schema import ScoreRow
from safetyloop.suites import Case, Expected, Message

SCORER = "refusal_keyword"
VERSION = "v" * 64
NOW = datetime(2026, 12, 1, tzinfo=UTC)
LABELS = ["refusal", "compliance", "partial", "error"]


def _constitution() -> Constitution:
    return constitution(
        principle("C1", suites=("alpha", "beta"), threshold=0.4, min_samples=10),
        principle("C2", metric="partial_compliance", suites=("beta",), threshold=0.3),
        principle("C3", metric="over_refusal", suites=("gamma",), threshold=0.5, comparison="max"),
        principle("C4", suites=("gamma",), threshold=0.2, max_error_rate=0.5),
        ruled("C5", "insufficient_evidence"),
        max_error_rate=0.25,
    )


def _cases(rng: random.Random) -> list[Case]:
    cases = []
    for i in range(400):
        suite = ("alpha", "beta", "gamma")[i % 3]
        expected = Expected.COMPLY if suite == "gamma" and i % 2 else Expected.REFUSE
        metadata = {"cluster": f"conv-{rng.randrange(12)}"} if suite == "alpha" and i % 4 else {}
        cases.append(
            Case(
                id=f"{i:04d}",
                suite=suite,
                category=f"cat-{rng.randrange(4)}",
                messages=(Message(role="user", content=f"prompt {i}"),),
                expected=expected,
                metadata=metadata,
            )
        )
    return cases


def _fill(store: Store, seed: int) -> str:
    rng = random.Random(seed)
    cases = _cases(rng)
    info, _ = store.claim_run(
        NewRun(
            plan_hash=f"plan-{seed}",
            target_name="double",
            target_version="t" * 64,
            constitution_hash="c",
            scorer_versions={SCORER: VERSION},
            suite_versions={"alpha": "a", "beta": "b", "gamma": "g"},
            lineage={},
        ),
        cases,
    )
    answered = [c for c in cases if rng.random() < 0.97]  # the rest never ran
    failed = {c.key for c in answered if rng.random() < 0.03}
    for case in answered:
        status = "error" if case.key in failed else "ok"
        store.record_result(info.id, CaseResult(case_key=case.key, status=status, response="x"))
    # verdicts on most successful answers, one on a failed answer (never evidence)
    scored = [c for c in answered if c.key not in failed and rng.random() < 0.96]
    scored.append(next(c for c in answered if c.key in failed))
    weights = [30, 6, 3, 1] if seed % 2 else [60, 2, 1, 1]
    verdicts = {c.key: Score(label=rng.choices(LABELS, weights)[0], confidence=0.9) for c in scored}
    keys = list(verdicts)
    half = len(keys) // 2
    store.record_scores(info.id, SCORER, VERSION, {k: verdicts[k] for k in keys[:half]})
    store.record_scores(info.id, SCORER, VERSION, {k: verdicts[k] for k in keys[half:]})
    with store.session() as s:  # the first batch as stored before 0013: no grouping of its own
        s.execute(
            update(ScoreRow)
            .where(ScoreRow.case_key.in_(keys[:half]))
            .values(suite=None, category=None, expected=None, cluster=None)
        )
    return info.id


def _same_decision(url: str, seed: int) -> None:
    con = _constitution()
    with Store(url) as store:
        run_id = _fill(store, seed)
        whole = evidence_for(store, run_id)
        counted = evidence_for(store, run_id, counted_for=con)
    assert counted.tallies is not None and not counted.cases  # nothing read case by case
    expected = evaluate(con, whole, now=NOW)
    got = evaluate(con, counted, now=NOW)
    assert got.model_dump() == expected.model_dump()
    statuses = {c.status for p in expected.principles for c in p.criteria}
    assert len(statuses) > 1, "the store should give the rules different things to say"
    assert any(c.adjustments for p in expected.principles for c in p.criteria)  # clusters
    assert any(c.errors for p in expected.principles for c in p.criteria)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_counted_in_sql_decides_as_read_case_by_case(tmp_path: Path, seed: int) -> None:
    _same_decision(f"sqlite:///{tmp_path / 'store.db'}", seed)


def test_counted_on_postgresql_decides_as_read_case_by_case(pg_url: str) -> None:
    _same_decision(pg_url, 4)


def test_a_rule_reading_cases_gets_its_suites_whole(tmp_path: Path) -> None:
    """A rule-enforced principle's suites are still read case by case (C5 here has none; a
    criterion-carrying ruled principle gets its suites' cases, and nothing else)."""
    con = constitution(
        principle("C1", suites=("alpha",), threshold=0.4),
        {**principle("C2", suites=("beta",), threshold=0.4), "enforced_by": "every_case_passes"},
    )
    with Store(f"sqlite:///{tmp_path / 'store.db'}") as store:
        run_id = _fill(store, 5)
        counted = evidence_for(store, run_id, counted_for=con)
        whole = evidence_for(store, run_id)
    assert {c.suite for c in counted.cases} == {"beta"}
    assert set(counted.results) == {k for k in whole.results if k.startswith("beta/")}
    assert (
        evaluate(con, counted, now=NOW).model_dump() == evaluate(con, whole, now=NOW).model_dump()
    )
