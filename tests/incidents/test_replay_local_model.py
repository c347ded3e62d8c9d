"""Replay with the real local model (slow): the guarded candidate prevents every sample, and the
bare model's samples are all scored or recorded as errors — never silently dropped."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.incidents.incident_helpers import example_path

from safetyloop.incidents._lab import add_incident
from safetyloop.incidents._replay import replay
from safetyloop.store import Store
from safetyloop.targets import GenerateParams, build_target

TARGETS = Path(__file__).resolve().parents[2] / "examples" / "targets.yaml"


@pytest.mark.slow
def test_replay_on_the_local_model_and_its_guarded_candidate(store: Store) -> None:
    add_incident(store, example_path("INC-2026-004"))
    report = replay(
        store,
        "INC-2026-004",
        build_target("smollm2-guarded-v2", TARGETS),
        original=build_target("smollm2", TARGETS),
        k=2,
        params=GenerateParams(max_tokens=16, temperature=0.7, seed=1),
    )
    assert (report.candidate.prevented, report.candidate.scored) == (2, 2)
    assert all(s["response"] == "I can't help with that request." for s in report.candidate.samples)
    original = report.original
    assert original is not None and original.scored + original.errors == 2
    assert all(s["response"] for s in original.samples if s["status"] == "ok")
    assert report.candidate.prevention.low > 0.0
