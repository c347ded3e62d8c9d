"""Every stored time comes back aware, in UTC, whichever backend and whichever query."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy.exc import StatementError

from safetyloop.store import NewRun, Store
from safetyloop.store import redteam as rt

RUN = NewRun(
    plan_hash="p",
    target_name="bot",
    target_version="v1",
    constitution_hash="c",
    scorer_versions={},
    suite_versions={},
    lineage={},
)


def _check(url: str) -> None:
    with Store(url) as store:
        created = store.create_run(RUN, [])
        read = store.get_run(created.id)
        assert read.created_at.tzinfo == UTC and read.created_at == created.created_at
        store.finish_run(created.id)
        assert store.get_run(created.id).finished_at.tzinfo == UTC  # type: ignore[union-attr]
        # An aware time in another zone is stored as the same instant and read back in UTC.
        tokyo = datetime(2026, 11, 2, 18, 30, tzinfo=timezone(timedelta(hours=9)))
        red = rt.create_run(
            store,
            plan_hash="q",
            attack_set_hash="a",
            target_name="bot",
            target_version="v1",
            lineage={},
            specs=[],
            at=tokyo,
        )
        assert red.created_at == tokyo and red.created_at.tzinfo == UTC


def test_sqlite_hands_back_aware_utc(tmp_path: Path) -> None:
    _check(f"sqlite:///{tmp_path / 't.db'}")


def test_postgresql_hands_back_aware_utc(pg_url: str) -> None:
    _check(pg_url)


def test_a_naive_time_is_refused(tmp_path: Path) -> None:
    with Store(f"sqlite:///{tmp_path / 't.db'}") as store, pytest.raises(StatementError):
        rt.create_run(
            store,
            plan_hash="q",
            attack_set_hash="a",
            target_name="bot",
            target_version="v1",
            lineage={},
            specs=[],
            at=datetime(2026, 11, 2, 9, 30),
        )
