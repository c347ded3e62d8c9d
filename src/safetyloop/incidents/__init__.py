"""The incident lab: every production incident becomes a regression case, replayed and measured.

Public API (the CLI `safetyloop incident ...` is a thin skin over it):
`load_incident` and `Incident` (the record, docs/incidents.md), `add_incident`, `triage` and
`confirm_triage`, `promote`, `replay`, `blast_radius` (with `load_traffic` for a traffic log),
`close_incident`, the stored records (`get_incident`, `list_incidents`, `measurements`) and the
`incident-regressions` suite.
"""

from __future__ import annotations

from safetyloop.incidents._blast import BlastReport, Neighbour, blast_radius
from safetyloop.incidents._lab import CloseResult, add_incident, close_incident
from safetyloop.incidents._promote import DEFAULT_TRANSFORMS, PromotionResult, promote
from safetyloop.incidents._record import Deployment, Incident, load_incident
from safetyloop.incidents._replay import ReplayArm, ReplayReport, replay
from safetyloop.incidents._repo import (
    StoredIncident,
    StoredMeasurement,
    get_incident,
    list_incidents,
    measurements,
)
from safetyloop.incidents._rules import Suggestion
from safetyloop.incidents._suite import SUITE_NAME, regression_suite
from safetyloop.incidents._taxonomy import Taxonomy, load_taxonomy
from safetyloop.incidents._traffic import TrafficEntry, load_traffic
from safetyloop.incidents._triage import DEFAULT_SCORERS, TriageResult, confirm_triage, triage

__all__ = [
    "DEFAULT_SCORERS",
    "DEFAULT_TRANSFORMS",
    "SUITE_NAME",
    "BlastReport",
    "CloseResult",
    "Deployment",
    "Incident",
    "Neighbour",
    "PromotionResult",
    "ReplayArm",
    "ReplayReport",
    "StoredIncident",
    "StoredMeasurement",
    "Suggestion",
    "Taxonomy",
    "TrafficEntry",
    "TriageResult",
    "add_incident",
    "blast_radius",
    "close_incident",
    "confirm_triage",
    "get_incident",
    "list_incidents",
    "load_incident",
    "load_taxonomy",
    "load_traffic",
    "measurements",
    "promote",
    "regression_suite",
    "replay",
    "triage",
]
