"""The store: SQLAlchemy + Alembic, SQLite by default, PostgreSQL for teams."""

from safetyloop.store._store import (
    BaselineInfo,
    BorderlineVerdict,
    CalibrationInfo,
    NewRun,
    RunInfo,
    Store,
    default_url,
    project_store,
    project_store_url,
)

__all__ = [
    "BaselineInfo",
    "BorderlineVerdict",
    "CalibrationInfo",
    "NewRun",
    "RunInfo",
    "Store",
    "default_url",
    "project_store",
    "project_store_url",
]
