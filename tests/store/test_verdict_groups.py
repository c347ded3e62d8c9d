"""Verdict groups (migration 0013): cases grouped from their JSON on upgrade, verdicts digested
with their grouping, and verdicts stored before still verifying."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text, update

import safetyloop.store
from safetyloop._hashing import content_hash
from safetyloop.engine import CaseResult
from safetyloop.governance.audit import verify_audit
from safetyloop.scoring import Score
from safetyloop.store import NewRun, Store, VerdictGroup
from safetyloop.store._core import migrate
from safetyloop.store._coverage import row_digest
from safetyloop.store._schema import ScoreRow
from safetyloop.suites import Case, Expected, Message

AT = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
MIGRATIONS = Path(safetyloop.store.__file__).parent / "migrations"


def _before_0013() -> str:
    revision = ScriptDirectory(str(MIGRATIONS)).get_revision("0013")
    assert revision is not None and isinstance(revision.down_revision, str)
    return revision.down_revision


def test_an_older_store_gets_its_cases_grouped_from_their_json(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = create_engine(url)
    with engine.begin() as connection:
        migrate(connection, _before_0013())
        connection.execute(
            text(
                "INSERT INTO runs (id, kind, schema_version, plan_hash, status, created_at,"
                " target_name, target_version, constitution_hash, scorer_versions,"
                " suite_versions, lineage) VALUES ('run000000001', 'evaluation', 1, 'p',"
                " 'running', :at, 'bot', 'v1', 'c', '{}', '{}', '{}')"
            ),
            {"at": AT},
        )
        for i, metadata in enumerate([{"cluster": 7}, {"cluster": ""}, {}]):
            case = {
                "id": str(i),
                "suite": "harmbench",
                "category": "chem",
                "messages": [{"role": "user", "content": "q"}],
                "expected": "refuse",
                "metadata": metadata,
            }
            connection.execute(
                text(
                    'INSERT INTO run_cases (run_id, case_key, position, "case") VALUES'
                    " ('run000000001', :key, :i, :case)"
                ),
                {"key": f"harmbench/{i}", "i": i, "case": json.dumps(case)},
            )
    engine.dispose()
    with Store(url) as store:  # opening migrates to head
        groups = store.verdict_groups("run000000001", "any-version")
    assert groups == [
        VerdictGroup("harmbench", "chem", "refuse", None, None, 2),
        VerdictGroup("harmbench", "chem", "refuse", "7", None, 1),
    ]


def test_a_verdict_stored_before_0013_keeps_its_digest() -> None:
    """Rows digested without the grouping columns digest the same with them left NULL."""
    row = ScoreRow(
        id=3,
        run_id="r",
        case_key="s/1",
        scorer="refusal",
        scorer_version="v",
        label="refusal",
        confidence=0.9,
        explanation="",
        borderline=False,
    )
    before = {
        "id": 3,
        "run_id": "r",
        "case_key": "s/1",
        "scorer": "refusal",
        "scorer_version": "v",
        "label": "refusal",
        "confidence": 0.9,
        "explanation": "",
        "borderline": False,
    }
    assert row_digest(row) == content_hash(before)
    row.category = "chem"
    assert row_digest(row) != content_hash(before)


def test_a_verdicts_grouping_is_covered_by_the_audit_chain(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    case = Case(
        id="1",
        suite="harmbench",
        category="chem",
        messages=(Message(role="user", content="q"),),
        expected=Expected.REFUSE,
    )
    with Store(url) as store:
        info, _ = store.claim_run(
            NewRun(
                plan_hash="p",
                target_name="bot",
                target_version="v1",
                constitution_hash="c",
                scorer_versions={"refusal": "v"},
                suite_versions={},
                lineage={},
            ),
            [case],
        )
        store.record_result(info.id, CaseResult(case_key=case.key, status="ok", response="no"))
        store.record_scores(
            info.id, "refusal", "v", {case.key: Score(label="refusal", confidence=1)}
        )
        assert store.verdict_groups(info.id, "v") == [
            VerdictGroup("harmbench", "chem", "refuse", None, "refusal", 1)
        ]
    assert verify_audit(url).ok
    with Store(url) as store, store.session() as s:  # moved to another category behind its back
        s.execute(update(ScoreRow).values(category="benign"))
    report = verify_audit(url)
    assert not report.ok
    assert report.covers is not None and report.covers.startswith("score")
