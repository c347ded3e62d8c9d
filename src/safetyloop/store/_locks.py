"""Locks between processes sharing one store, released by the operating system or the server
when their holder dies (a run killed with `kill -9` must not leave its plan locked).

- Migrations: two processes opening a fresh store must not both create the tables. PostgreSQL
  takes a transaction-level advisory lock before Alembic looks at the version table; SQLite
  takes an exclusive `flock` on `<database>.migrate.lock` beside the database file (SQLite
  runs DDL outside any transaction, so its own write lock cannot cover it).
- Runs: one process at a time executes a run. PostgreSQL holds a session-level advisory lock
  on a connection of its own; SQLite an exclusive `flock` on `<database>.run-<id>.lock`. A
  second process with the same plan waits for the lock, then finds the run finished (nothing to
  send) or, if the holder died, resumes the cases it left.
"""

from __future__ import annotations

import fcntl
import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine, make_url

#: Advisory lock key of migrations (any fixed 64-bit number, apart from the audit log's).
MIGRATE_LOCK_KEY = 0x5AFE_0001
#: Advisory lock key under which a plan's run is found or created.
CLAIM_LOCK_KEY = 0x5AFE_0002


def lock_migrations(connection: Connection) -> None:
    """PostgreSQL: hold the migration lock until `connection`'s transaction ends."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATE_LOCK_KEY})


def sqlite_file(engine: Engine) -> Path | None:
    """The database file of an SQLite engine (None: another backend, or in memory)."""
    if engine.dialect.name != "sqlite":
        return None
    database = make_url(str(engine.url)).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


@contextmanager
def file_lock(path: Path | None, on_wait: Callable[[], None] | None = None) -> Iterator[None]:
    """An exclusive `flock` on `path` for the block (no-op for None); `on_wait` is called once
    if another holder makes this wait."""
    if path is None:
        yield
        return
    with path.open("a") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if on_wait is not None:
                on_wait()
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


@contextmanager
def run_lock(
    engine: Engine, run_id: str, on_wait: Callable[[], None] | None = None
) -> Iterator[None]:
    """Hold run `run_id` exclusively for the block, waiting for any other holder first (and
    calling `on_wait` once, if so)."""
    database = sqlite_file(engine)
    if database is not None:
        with file_lock(database.with_name(f"{database.name}.run-{run_id}.lock"), on_wait):
            yield
        return
    if engine.dialect.name != "postgresql":
        yield
        return
    key = int.from_bytes(hashlib.sha256(run_id.encode()).digest()[:8], "big", signed=True)
    with engine.connect() as connection:
        if not connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}).scalar():
            if on_wait is not None:
                on_wait()
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
        connection.commit()
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
            connection.commit()
