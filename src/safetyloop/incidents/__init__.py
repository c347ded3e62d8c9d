"""The incident lab: every production incident becomes a regression case, replayed and measured.

Public API (the CLI `safetyloop incident ...` is a thin skin over it):
`load_incident` and `Incident` (the record, docs/incidents.md), `add_incident`, `triage` and
`confirm_triage`, `promote`, `replay`, `blast_radius`, and the `incident-regressions` suite.
"""

from __future__ import annotations

from safetyloop.incidents._record import Deployment, Incident, load_incident
from safetyloop.incidents._repo import StoredIncident, get_incident, list_incidents
from safetyloop.incidents._rules import Suggestion
from safetyloop.incidents._suite import SUITE_NAME, regression_suite
from safetyloop.incidents._taxonomy import Taxonomy, load_taxonomy
from safetyloop.incidents._triage import TriageResult, confirm_triage, triage

__all__ = [
    "SUITE_NAME",
    "Deployment",
    "Incident",
    "StoredIncident",
    "Suggestion",
    "Taxonomy",
    "TriageResult",
    "confirm_triage",
    "get_incident",
    "list_incidents",
    "load_incident",
    "load_taxonomy",
    "regression_suite",
    "triage",
]
