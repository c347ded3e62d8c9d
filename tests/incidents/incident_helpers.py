"""Helpers of the incident-lab tests: the shipped example incidents."""

from __future__ import annotations

from pathlib import Path

from safetyloop.incidents import Incident, load_incident

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "incidents"
IDS = ["INC-2026-001", "INC-2026-002", "INC-2026-003", "INC-2026-004", "INC-2026-005"]


def example_path(incident_id: str) -> Path:
    return next(EXAMPLES.glob(f"{incident_id}-*.yaml"))


def example(incident_id: str) -> Incident:
    return load_incident(example_path(incident_id))
