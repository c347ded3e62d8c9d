"""Helpers of the incident-lab tests: the shipped example incidents."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from safetyloop.errors import ConfigError
from safetyloop.incidents import Incident, load_incident

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "incidents"
IDS = ["INC-2026-001", "INC-2026-002", "INC-2026-003", "INC-2026-004", "INC-2026-005"]


def example_path(incident_id: str) -> Path:
    return next(EXAMPLES.glob(f"{incident_id}-*.yaml"))


def example(incident_id: str) -> Incident:
    return load_incident(example_path(incident_id))


def text_only_path(incident_id: str, folder: Path) -> Path:
    """A copy of the example without its `agentic` section: what promotion of a text incident
    does with its transcript (tool calls and results included) is tested on it."""
    data = yaml.safe_load(example_path(incident_id).read_text(encoding="utf-8"))
    data.pop("agentic", None)
    path = folder / f"{incident_id}-text-only.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def refused(tmp_path: Path, text: str) -> list[str]:
    """What loading `text` as an incident file refuses (it must exit 2)."""
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_incident(path)
    assert caught.value.exit_code == 2
    return caught.value.problems


def line_of(text: str, needle: str) -> int:
    """The 1-based line of `text` holding `needle`."""
    return next(i for i, line in enumerate(text.splitlines(), start=1) if needle in line)
