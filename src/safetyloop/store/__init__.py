"""The store: SQLAlchemy + Alembic, SQLite by default, PostgreSQL for teams.

The one owner of persistent state. `Store` holds the engine, the migrations and the queries of
runs, results, scores, calibrations, gate decisions, baselines and the audit log; the other
domains have a repository module each (`store.governance`, `store.incidents`, `store.redteam`).
Every one maps rows to typed records, and every timestamp comes back aware, in UTC.
"""

from safetyloop.store._calibrations import CalibrationInfo
from safetyloop.store._core import default_url, project_store, project_store_url
from safetyloop.store._decisions import BaselineInfo, GateDecisionInfo
from safetyloop.store._results import BorderlineVerdict
from safetyloop.store._runs import NewRun, RunInfo
from safetyloop.store._schema import EVALUATION, REDTEAM
from safetyloop.store._store import Store

__all__ = [
    "EVALUATION",
    "REDTEAM",
    "BaselineInfo",
    "BorderlineVerdict",
    "CalibrationInfo",
    "GateDecisionInfo",
    "NewRun",
    "RunInfo",
    "Store",
    "default_url",
    "project_store",
    "project_store_url",
]
