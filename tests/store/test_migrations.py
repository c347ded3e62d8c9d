"""A store made by the previous migration head (0008) upgrades with its data intact.

0009 folds red teaming's own run table into the one run ledger (`runs.kind`); a team's existing
database must come through it with every run, conversation and event still readable.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from safetyloop.errors import InputError, StorageError
from safetyloop.store import REDTEAM, Store
from safetyloop.store import redteam as rt
from safetyloop.store._core import migrate

AT = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
LATER = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)

#: One evaluation run, one red-team run with a conversation and an event, and an audit entry,
#: written as release 0008 wrote them.
ROWS = [
    (
        "INSERT INTO runs (id, schema_version, plan_hash, status, created_at, finished_at,"
        " target_name, target_version, constitution_hash, scorer_versions, suite_versions,"
        " lineage) VALUES ('eval00000001', 1, 'p-eval', 'finished', :at, :later, 'bot', 'v1',"
        ' \'c-hash\', \'{"refusal": "r1"}\', \'{"harmbench": "h1"}\', \'{"params": {}}\')'
    ),
    (
        "INSERT INTO redteam_runs (id, schema_version, plan_hash, attack_set_hash, status,"
        " created_at, finished_at, target_name, target_version, lineage) VALUES"
        " ('redt00000001', 1, 'p-rt', 'attack-hash', 'finished', :at, :later, 'bot', 'v1',"
        ' \'{"attacker": "a1"}\')'
    ),
    (
        "INSERT INTO redteam_conversations (id, run_id, attack_key, position, spec, status,"
        " success, best_score, first_failure_turn, turns, backtracks, error, finished_at)"
        " VALUES (1, 'redt00000001', 'single/hb/1', 0, '{\"key\": \"single/hb/1\"}', 'ok',"
        " true, 0.9, 1, 1, 0, NULL, :later)"
    ),
    (
        "INSERT INTO redteam_events (id, conversation_id, seq, kind, turn, branch, prompt,"
        " response, score, label, refused, data, at) VALUES (1, 1, 0, 'turn', 1, '', 'hi',"
        " 'sure', 0.9, 'harmful', false, '{}', :at)"
    ),
    (
        "INSERT INTO audit_log (seq, actor, at, action, payload, payload_hash, prev_hash,"
        " entry_hash) VALUES (1, 'alice', :at, 'run.started', '{\"run_id\": \"eval00000001\"}',"
        " 'ph', 'prev', 'eh')"
    ),
]


def _store_at_0008(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        migrate(connection, "0008")
        for row in ROWS:
            connection.execute(text(row), {"at": AT, "later": LATER})
    engine.dispose()


def _upgrade_keeps_the_data(url: str) -> None:
    _store_at_0008(url)
    with Store(url) as store:  # opening migrates to head
        evaluation = store.get_run("eval00000001")
        assert (evaluation.kind, evaluation.status, evaluation.plan_hash) == (
            "evaluation",
            "finished",
            "p-eval",
        )
        assert evaluation.scorer_versions == {"refusal": "r1"}
        assert (evaluation.created_at, evaluation.finished_at) == (AT, LATER)
        assert evaluation.created_at.tzinfo is not None
        assert [r.id for r in store.list_runs()] == ["eval00000001"]  # red team kept apart
        assert store.run_started_by("eval00000001") == "alice"

        run = rt.get_run(store, "redt00000001")
        assert (run.attack_set_hash, run.status, run.lineage) == (
            "attack-hash",
            "finished",
            {"attacker": "a1"},
        )
        assert (run.created_at, run.finished_at) == (AT, LATER)
        assert store.get_run("redt00000001", kind=REDTEAM).id == run.id
        assert rt.count_runs(store) == 1
        [conversation] = rt.conversations(store, run.id)
        assert (conversation.spec, conversation.success, conversation.turns) == (
            {"key": "single/hb/1"},
            True,
            1,
        )
        [event] = rt.events(store, conversation.id)
        assert (event.prompt, event.response, event.label, event.at) == (
            "hi",
            "sure",
            "harmful",
            AT,
        )


def test_a_sqlite_store_of_the_previous_head_upgrades_intact(tmp_path: Path) -> None:
    _upgrade_keeps_the_data(f"sqlite:///{tmp_path / 'old.db'}")


def test_a_postgresql_store_of_the_previous_head_upgrades_intact(pg_url: str) -> None:
    _upgrade_keeps_the_data(pg_url)


def test_unknown_red_team_runs_cannot_be_finished(tmp_path: Path) -> None:
    """One ledger, one behaviour: finishing a run that does not exist is an error for every kind."""
    with Store(f"sqlite:///{tmp_path / 's.db'}") as store, pytest.raises(StorageError):
        rt.finish_run(store, "nope", LATER)


def test_a_red_team_run_is_no_baseline(tmp_path: Path) -> None:
    """Sharing the ledger does not make red-team runs evaluation runs (as before 0009)."""
    with Store(f"sqlite:///{tmp_path / 's.db'}") as store:
        run = rt.create_run(
            store,
            plan_hash="q",
            attack_set_hash="a",
            target_name="bot",
            target_version="v1",
            lineage={},
            specs=[],
            at=AT,
        )
        rt.finish_run(store, run.id, LATER)
        with pytest.raises(InputError, match="no run"):
            store.set_baseline("prod", run.id)
        with pytest.raises(InputError, match="no run"):
            store.get_run(run.id)
