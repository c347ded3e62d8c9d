"""The one owner of persistent state: every read and write of the database goes through `Store`."""

from __future__ import annotations

from safetyloop.store._audit import AuditRepository
from safetyloop.store._calibrations import CalibrationRepository
from safetyloop.store._coverage import CoverageRepository
from safetyloop.store._decisions import DecisionRepository
from safetyloop.store._results import ResultRepository
from safetyloop.store._runs import RunRepository
from safetyloop.store._tallies import TallyRepository


class Store(
    RunRepository,
    ResultRepository,
    CalibrationRepository,
    DecisionRepository,
    AuditRepository,
    CoverageRepository,
    TallyRepository,
):
    """Sessions, migrations and every query of the core domains, one repository each (runs,
    results, calibrations, decisions and baselines, audit and its coverage of verdicts, the
    verdicts counted for the gate). Open one per process; it is cheap.

    Governance, incidents and red teaming have repository modules beside it that take a `Store`
    (`store.governance`, `store.incidents`, `store.redteam`).
    """
