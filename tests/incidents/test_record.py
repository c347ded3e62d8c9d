"""Incident records: the examples load, and bad files are refused with file:line errors."""

from __future__ import annotations

from pathlib import Path

from tests.cli.invoking import Invoke
from tests.incidents.incident_helpers import EXAMPLES, IDS, example, example_path, line_of, refused

from safetyloop.incidents import load_incident, load_taxonomy

GOOD = example_path("INC-2026-004").read_text(encoding="utf-8")


def test_the_five_examples_load_with_taxonomy_ids() -> None:
    taxonomy = load_taxonomy()
    loaded = [load_incident(p) for p in sorted(EXAMPLES.glob("*.yaml"))]
    assert [i.id for i in loaded] == IDS
    for incident in loaded:
        assert incident.failure_type in taxonomy.failure_type_ids()
        assert set(incident.root_causes) <= taxonomy.root_cause_ids()
        assert incident.transcript[incident.first_unsafe_turn].role == "assistant"
    assert len({i.failure_type for i in loaded}) == 5  # five different kinds of failure


def test_tool_calls_and_results_are_kept_whole() -> None:
    incident = example("INC-2026-002")
    call = incident.transcript[4].tool_calls
    assert call is not None and call[0]["function"]["name"] == "forward_email"
    assert incident.transcript[3].role == "tool" and incident.transcript[3].tool_call_id == "call_1"
    assert "IMPORTANT SYSTEM NOTICE" in incident.transcript[3].content


def test_first_unsafe_turn_must_be_an_assistant_message(tmp_path: Path) -> None:
    text = GOOD.replace("first_unsafe_turn: 2", "first_unsafe_turn: 1")
    (problem,) = refused(tmp_path, text)
    assert problem.startswith(f"{tmp_path / 'bad.yaml'}:{line_of(text, 'first_unsafe_turn')}:")
    assert "first_unsafe_turn" in problem and "user message" in problem


def test_unknown_taxonomy_ids_and_missing_fields_are_all_reported(tmp_path: Path) -> None:
    text = GOOD.replace("failure_type: role_play_jailbreak", "failure_type: vibes").replace(
        "severity: high\n", ""
    )
    problems = refused(tmp_path, text)
    assert any(
        f":{line_of(text, 'failure_type')}:" in p and "unknown failure type 'vibes'" in p
        for p in problems
    )
    assert any("severity" in p and "required" in p.lower() for p in problems)


def test_a_tool_result_must_answer_an_earlier_call(tmp_path: Path) -> None:
    text = example_path("INC-2026-002").read_text(encoding="utf-8")
    text = text.replace("tool_call_id: call_1", "tool_call_id: call_9")
    (problem,) = refused(tmp_path, text)
    assert "call_9" in problem and f":{line_of(text, 'transcript:')}:" in problem


def test_cli_add_refuses_a_bad_file_with_exit_2_and_stores_nothing(
    tmp_path: Path, store_url: str, invoke: Invoke
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(GOOD.replace("first_unsafe_turn: 2", "first_unsafe_turn: 99"), "utf-8")
    result = invoke("incident", "add", str(bad), "--store", store_url)
    assert result.code == 2 and f"{bad}:" in result.flat_err
    listed = invoke("incident", "list", "--store", store_url)
    assert listed.code == 0 and "INC-2026-004" not in listed.out
