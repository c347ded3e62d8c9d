"""A fresh PostgreSQL database on 127.0.0.1:5432 for one test or bench, dropped afterwards."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"


class NoServer(Exception):
    """No PostgreSQL server answers; the message says why."""


@contextmanager
def fresh_database(prefix: str = "safetyloop_test") -> Iterator[str]:
    """The URL of a new, empty database; raises `NoServer` when none can be created."""
    admin = create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as exc:
        admin.dispose()
        raise NoServer(f"no PostgreSQL server answers on 127.0.0.1:5432 ({exc.orig})") from None
    try:
        yield f"{PG_SERVER}/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
