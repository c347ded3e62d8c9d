"""The store: SQLAlchemy + Alembic, SQLite by default, PostgreSQL for teams."""

from safetyloop.store._store import NewRun, RunInfo, Store, default_url

__all__ = ["NewRun", "RunInfo", "Store", "default_url"]
