"""The store: SQLAlchemy + Alembic, SQLite by default, PostgreSQL for teams.

The one owner of persistent state. `Store` holds the engine, the migrations and the queries of
runs, results, scores, calibrations, gate decisions, baselines and the audit log (anchored by
`Anchors`: a key and a witness file, and covering every verdict row); the other domains have
a repository module each (`store.agentic`, `store.governance`, `store.incidents`,
`store.redteam`).
Every one maps rows to typed records, and every timestamp comes back aware, in UTC.
"""

from safetyloop.store._anchor import (
    AUDIT_KEY_ENV,
    AUDIT_WITNESS_ENV,
    Anchors,
    WitnessMark,
    read_witness,
)
from safetyloop.store._audit import AuditHead
from safetyloop.store._calibrations import CalibrationInfo
from safetyloop.store._core import default_url, project_store, project_store_url
from safetyloop.store._coverage import COVER_ACTION, COVERAGE_STARTED, CoveredRow
from safetyloop.store._decisions import BaselineInfo, GateDecisionInfo
from safetyloop.store._results import BorderlineVerdict
from safetyloop.store._runs import NewRun, RunInfo
from safetyloop.store._schema import AGENTIC, EVALUATION, REDTEAM
from safetyloop.store._store import Store
from safetyloop.store._tallies import VerdictGroup

__all__ = [
    "AGENTIC",
    "AUDIT_KEY_ENV",
    "AUDIT_WITNESS_ENV",
    "COVERAGE_STARTED",
    "COVER_ACTION",
    "EVALUATION",
    "REDTEAM",
    "Anchors",
    "AuditHead",
    "BaselineInfo",
    "BorderlineVerdict",
    "CalibrationInfo",
    "CoveredRow",
    "GateDecisionInfo",
    "NewRun",
    "RunInfo",
    "Store",
    "VerdictGroup",
    "WitnessMark",
    "default_url",
    "project_store",
    "project_store_url",
    "read_witness",
]
