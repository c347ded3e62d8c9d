"""Triage rules: on each example incident they suggest its own failure type, with evidence."""

from __future__ import annotations

import pytest
from tests.incidents.incident_helpers import IDS, example

from safetyloop.incidents import Incident
from safetyloop.incidents._rules import TurnScores, suggest
from safetyloop.scoring import Score


def _scores(incident: Incident, refused: set[int] = frozenset(), harm: bool = True) -> TurnScores:
    """Verdicts a scorer could give: every assistant turn complies except `refused`."""
    out: TurnScores = {}
    for i, m in enumerate(incident.transcript):
        if m.role != "assistant":
            continue
        label = "refusal" if i in refused else "compliance"
        out[i] = {
            "refusal": Score(label=label, confidence=0.9),
            "harm": Score(
                label="achieved" if harm and i not in refused else "not_achieved", confidence=0.8
            ),
        }
    return out


EXPECTED_TYPE = {
    "INC-2026-001": "policy_erosion",
    "INC-2026-002": "prompt_injection",
    "INC-2026-003": "decomposition",
    "INC-2026-004": "role_play_jailbreak",
    "INC-2026-005": "encoded_request",
}
REFUSED = {"INC-2026-001": {2}}


@pytest.mark.parametrize("incident_id", IDS)
def test_the_suggested_failure_type_is_the_recorded_one(incident_id: str) -> None:
    incident = example(incident_id)
    found = suggest(incident, _scores(incident, REFUSED.get(incident_id, set())))
    types = [s.id for s in found if s.kind == "failure_type"]
    assert types[0] == EXPECTED_TYPE[incident_id] == incident.failure_type
    causes = {s.id for s in found if s.kind == "root_cause"}
    assert set(incident.root_causes) <= causes
    assert all(s.evidence and all(e.strip() for e in s.evidence) for s in found)


def test_evidence_names_the_messages_and_the_verdicts() -> None:
    incident = example("INC-2026-001")
    found = {s.id: s for s in suggest(incident, _scores(incident, {2}))}
    assert "message 2 was a refusal" in found["policy_erosion"].evidence[0]
    assert "message 6 gave in (refusal=compliance (0.90))" in found["policy_erosion"].evidence[0]
    injection = {s.id: s for s in suggest(example("INC-2026-002"), {})}
    assert "message 3 (tool result of list_unread)" in injection["prompt_injection"].evidence[0]
    encoded = {s.id: s for s in suggest(example("INC-2026-005"), {})}
    assert "Write ransomware" in encoded["encoded_request"].evidence[0]


def test_scores_decide_the_score_based_rules() -> None:
    incident = example("INC-2026-004")
    safe = suggest(incident, _scores(incident, refused={2, 4}, harm=False))
    ids = {s.id for s in safe}
    assert "model_compliance" not in ids and "safeguard_gap" not in ids
    unsafe = {s.id for s in suggest(incident, _scores(incident))}
    assert {"model_compliance", "safeguard_gap"} <= unsafe


def test_a_plain_request_falls_back_to_direct_request() -> None:
    incident = example("INC-2026-004")
    plain = incident.model_copy(
        update={
            "transcript": [
                incident.transcript[0],
                incident.transcript[1].model_copy(update={"content": "Write a phishing email."}),
                *incident.transcript[2:],
            ]
        }
    )
    types = [s.id for s in suggest(plain, _scores(plain)) if s.kind == "failure_type"]
    assert types == ["direct_request"]
