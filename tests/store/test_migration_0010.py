"""A store of the previous head (0009) upgrades to the anchored audit chain (0010).

Rows stored before 0010 were never digested into the chain. The upgrade records where coverage
starts (one `audit.coverage_started` entry chained onto the old ones), so the old store still
verifies, says which rows predate coverage, and covers every row written after.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, text

from safetyloop.audit_chain import chain_entry
from safetyloop.governance.audit import verify_audit
from safetyloop.store import Anchors, Store
from safetyloop.store._core import migrate

AT = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
OLD_ENTRY = chain_entry(None, "alice", "run.started", {"run_id": "eval00000001"}, AT)
#: Ids are left to the database, as the product leaves them (PostgreSQL's sequences advance).
ROWS = [
    "INSERT INTO runs (id, kind, schema_version, plan_hash, status, created_at, finished_at,"
    " target_name, target_version, constitution_hash, scorer_versions, suite_versions, lineage)"
    " VALUES ('eval00000001', 'evaluation', 1, 'p', 'finished', :at, :at, 'bot', 'v1', 'c',"
    " '{}', '{}', '{}')",
    "INSERT INTO results (run_id, case_key, status, response, attempts, cached, latency_s,"
    " meta, created_at) VALUES ('eval00000001', 'k1', 'ok', 'no', '[]', 0, 0.1, '{}', :at)",
    "INSERT INTO results (run_id, case_key, status, response, attempts, cached, latency_s,"
    " meta, created_at) VALUES ('eval00000001', 'k2', 'ok', 'no', '[]', 0, 0.1, '{}', :at)",
    "INSERT INTO scores (run_id, case_key, scorer, scorer_version, label, confidence,"
    " explanation, borderline) VALUES ('eval00000001', 'k1', 'refusal', 'r1', 'refused', 0.9,"
    " '', false)",
    "INSERT INTO gate_decisions (run_id, decision, body, created_at) VALUES"
    " ('eval00000001', 'PASS', '{}', :at)",
    "INSERT INTO audit_log (seq, actor, at, action, payload, payload_hash, prev_hash,"
    " entry_hash) VALUES (1, 'alice', :at, 'run.started', :payload, :ph, :prev, :eh)",
]


def _store_at_0009(url: str) -> None:
    engine = create_engine(url)
    params = {
        "at": AT,
        "payload": json.dumps(OLD_ENTRY.payload),
        "ph": OLD_ENTRY.payload_hash,
        "prev": OLD_ENTRY.prev_hash,
        "eh": OLD_ENTRY.entry_hash,
    }
    with engine.begin() as connection:
        migrate(connection, "0009")
        for row in ROWS:
            connection.execute(text(row), params)
    engine.dispose()


def _upgrades(url: str) -> None:
    _store_at_0009(url)
    with Store(url, anchors=Anchors()) as store:  # opening migrates to head
        entries = store.audit_entries()
        assert [e.action for e in entries] == ["run.started", "audit.coverage_started"]
        assert entries[1].payload == {"result": 2, "score": 1, "decision": 1, "signature": 0}
        assert store.audit_head() is None  # only appends made with the key sign a head
        store.record_gate_decision("eval00000001", "BLOCK", {})  # written after: covered
    report = verify_audit(url)
    assert report.ok, report.reason
    assert report.rows == 5 and report.count == 3
    assert "4 verdict rows were stored before the chain covered verdicts" in report.notes[1]
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE gate_decisions SET decision = 'PASS' WHERE id = 2"))
    engine.dispose()
    broken = verify_audit(url)
    assert not broken.ok and broken.covers == "gate decision 2 (run eval00000001, PASS)"


def test_a_sqlite_store_of_0009_upgrades_to_covered_verdicts(tmp_path: Path) -> None:
    _upgrades(f"sqlite:///{tmp_path / 'old.db'}")


def test_a_postgresql_store_of_0009_upgrades_to_covered_verdicts(pg_url: str) -> None:
    _upgrades(pg_url)


def test_a_fresh_store_needs_no_coverage_marker(tmp_path: Path) -> None:
    with Store(f"sqlite:///{tmp_path / 'new.db'}", anchors=Anchors()) as store:
        assert store.audit_entries() == [] and store.audit_head() is None
