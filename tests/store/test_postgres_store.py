"""The store on PostgreSQL: the same Alembic migrations, a whole run and gate, resume semantics.

Uses the server on 127.0.0.1:5432 (trust auth); each test gets a database of its own, dropped
afterwards. Skipped, with the reason, only when no server answers.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from tests.constitutions import write_one_principle

from safetyloop.api import RunRequest, gate, run
from safetyloop.errors import StorageError
from safetyloop.store import Store


def test_migrations_create_the_schema_once(pg_url: str) -> None:
    Store(pg_url).close()
    with Store(pg_url) as store:  # a second open finds the schema at head and changes nothing
        assert store.list_runs() == []
        engine = create_engine(pg_url)
        with engine.connect() as connection:
            tables = set(
                connection.execute(
                    text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
                ).scalars()
            )
        engine.dispose()
    assert {"runs", "run_cases", "results", "scores", "response_cache", "alembic_version"} <= tables


def test_a_run_and_its_gate_on_postgresql(pg_url: str, tmp_path: Path) -> None:
    constitution = write_one_principle(tmp_path, "pg-check")
    request = RunRequest(
        target="python:tests.cli.cli_doubles:simulated_complier",
        constitution=constitution,
        sample=5,
        store_url=pg_url,
    )
    info = run(request)
    assert info.status == "finished"
    decision = gate(info.id, store_url=pg_url)
    c1 = decision.principles[0].criteria[0]
    assert (c1.n, c1.events, c1.errors) == (5, 5, 0)
    assert decision.decision == "BLOCK"
    with Store(pg_url) as store:
        assert len(store.results(info.id)) == 5
        first = next(iter(store.results(info.id).values()))
        with pytest.raises(StorageError, match="already has a result"):
            store.record_result(info.id, first)  # exactly one verdict per case, enforced
    again = run(request)  # a finished plan starts a new run, answered from the cache
    with Store(pg_url) as store:
        assert all(r.cached for r in store.results(again.id).values())
