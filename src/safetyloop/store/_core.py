"""The store's core: the engine, its migrations and its sessions, shared by every repository."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from safetyloop.errors import InputError, StorageError
from safetyloop.store._anchor import Anchors, append_witness
from safetyloop.store._locks import file_lock, lock_migrations, sqlite_file

DEFAULT_DIR = ".safetyloop"
#: `Session.info` keys: the audit key appends sign with, and the head an append left behind.
AUDIT_KEY_INFO = "safetyloop.audit_key"
AUDIT_HEAD_INFO = "safetyloop.audit_head"


def default_url(project_dir: Path | None = None) -> str:
    """SQLite in `.safetyloop/safetyloop.db` under the project folder."""
    folder = (project_dir or Path.cwd()) / DEFAULT_DIR
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'safetyloop.db'}"


_project_url: ContextVar[str | None] = ContextVar("safetyloop_project_store", default=None)


@contextmanager
def project_store(url: str | None) -> Iterator[None]:
    """Within the block, `project_store_url()` is `url`: the store a run or a gate is using,
    so that store-backed suites (incident regressions) are read from that same store."""
    token = _project_url.set(url)
    try:
        yield
    finally:
        _project_url.reset(token)


def project_store_url() -> str | None:
    """The store that store-backed suites read: the one given to `project_store`, else
    SAFETYLOOP_STORE_URL, else the working folder's default store if it exists (None: there is
    no store yet, and nothing is created just by looking)."""
    url = _project_url.get() or os.environ.get("SAFETYLOOP_STORE_URL")
    if url:
        return url
    path = Path.cwd() / DEFAULT_DIR / "safetyloop.db"
    return f"sqlite:///{path}" if path.exists() else None


def now() -> datetime:
    """The time a row is written, when no clock is given: aware UTC."""
    return datetime.now(UTC)


class StoreCore:
    """The engine, migrated to head on opening, and its sessions; the repositories add queries.

    `anchors` (default: from the environment, `Anchors.from_env`) are where audit appends are
    signed and witnessed.
    """

    def __init__(self, url: str | None = None, *, anchors: Anchors | None = None) -> None:
        self.url = url or default_url()
        self.anchors = anchors if anchors is not None else Anchors.from_env()
        try:
            self.engine: Engine = create_engine(self.url)
        except ArgumentError as exc:  # not echoed: an unparsable URL may hold a password
            raise InputError(
                f"the store (--store or SAFETYLOOP_STORE_URL) is not a database URL: {exc}",
                hint="give an SQLAlchemy URL, e.g. sqlite:///runs.db",
            ) from None
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._migrate()

    def _migrate(self) -> None:
        """Migrate to head under a lock, so processes opening a fresh store at once do not
        both create its tables (`_locks`)."""
        database = sqlite_file(self.engine)
        try:
            with (
                file_lock(
                    database.with_name(f"{database.name}.migrate.lock") if database else None
                ),
                self.engine.begin() as connection,
            ):
                lock_migrations(connection)
                migrate(connection)
        except OperationalError as exc:
            raise StorageError(
                f"cannot open the store at {self.url}: {exc.orig}",
                hint="check the database URL and that the server is running",
            ) from exc

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One transaction; once it has committed an audit append, the witness records the head."""
        with self._sessions.begin() as session:
            session.info[AUDIT_KEY_INFO] = self.anchors.key
            yield session
        head = session.info.pop(AUDIT_HEAD_INFO, None)
        if head is not None and self.anchors.witness is not None:
            append_witness(self.anchors.witness, head[0], head[1], now())

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def migrate(connection: Connection, revision: str = "heads") -> None:
    """Bring the database on `connection` to `revision` (a test builds an older store with it)."""
    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL keeps readers and the streaming writer apart and survives kill -9.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # Writers from several processes queue for SQLite's one write lock (cooperating runs).
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()
