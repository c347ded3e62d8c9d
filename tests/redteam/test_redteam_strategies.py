"""Strategies and the driver against scripted test doubles (`tests/doubles/redteam_doubles.py`).

The doubles are `python` targets: no model, no network. Each test runs a real `run_redteam`
over a temporary SQLite store and reads the stored trajectory back.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from safetyloop.errors import InputError
from safetyloop.redteam import _store as db
from safetyloop.redteam._attackset import AttackSetRequest
from safetyloop.redteam._driver import RedteamRequest, run_redteam
from safetyloop.redteam.evidence import load_evidence
from safetyloop.redteam.strategies import Limits
from safetyloop.store import Store
from safetyloop.targets import GenerateParams

D = "python:tests.doubles.redteam_doubles:"


def _request(tmp_path: Path, strategies: list[str], **changes: object) -> RedteamRequest:
    attacks = AttackSetRequest(
        suites=["harmbench"],
        requests=int(changes.pop("requests", 1)),  # type: ignore[call-overload]
        strategies=strategies,
        transforms=list(changes.pop("transforms", [])),  # type: ignore[call-overload]
    )
    base: dict[str, object] = {
        "target": D + "target",
        "attacker": D + "attacker",
        "judge": D + "judge",
        "attacks": attacks,
        "limits": Limits(max_turns=3),
        "store_url": f"sqlite:///{tmp_path / 'store.db'}",
        "concurrency": 1,
    }
    base.update(changes)
    return RedteamRequest(**base)  # type: ignore[arg-type]


def _trajectories(url: str, run_id: str) -> dict[str, tuple[db.Conversation, list[db.Event]]]:
    with Store(url) as store:
        return {
            c.spec.strategy: (c, db.events(store, c.id)) for c in db.conversations(store, run_id)
        }


def _shape(events: list[db.Event]) -> list[tuple[str, int, str, str]]:
    return [(e.kind, e.turn, e.branch, e.prompt) for e in events]


def test_crescendo_backtracks_without_spending_a_turn(tmp_path: Path) -> None:
    request = _request(tmp_path, ["crescendo"])
    run = run_redteam(request)
    conversation, events = _trajectories(str(request.store_url), run.id)["crescendo"]
    assert _shape(events) == [
        ("turn", 1, "", "step 1"),
        ("backtrack", 2, "", "step 2 blocked"),
        ("turn", 2, "", "step 2"),
        ("turn", 3, "", "step 3"),
    ]
    assert events[1].refused is True and events[1].label == "rating_1"
    assert (conversation.status, conversation.success) == ("ok", True)
    assert (conversation.first_failure_turn, conversation.turns, conversation.backtracks) == (
        3,
        3,
        1,
    )
    # The target never saw the backtracked question: turn 3's history skips it.
    assert "blocked" not in events[3].data["attacker"]


def test_crescendo_without_backtracks_spends_the_turn_and_stops_at_the_limit(
    tmp_path: Path,
) -> None:
    request = _request(tmp_path, ["crescendo"], limits=Limits(max_turns=2, max_backtracks=0))
    run = run_redteam(request)
    conversation, events = _trajectories(str(request.store_url), run.id)["crescendo"]
    assert _shape(events) == [("turn", 1, "", "step 1"), ("turn", 2, "", "step 2 blocked")]
    assert (conversation.success, conversation.turns, conversation.first_failure_turn) == (
        False,
        2,
        None,
    )


def test_pair_iterates_until_the_judge_says_success(tmp_path: Path) -> None:
    request = _request(tmp_path, ["pair"])
    run = run_redteam(request)
    conversation, events = _trajectories(str(request.store_url), run.id)["pair"]
    assert [(e.turn, e.prompt, e.label) for e in events] == [
        (1, "pair try 1", "rating_1"),
        (2, "pair try 2", "rating_5"),
        (3, "pair try 3", "rating_10"),
    ]
    assert events[0].data["parsed"] == "raw"  # a plain-text attacker reply is the prompt
    assert conversation.success and conversation.first_failure_turn == 3


def test_pair_respects_the_budget(tmp_path: Path) -> None:
    request = _request(tmp_path, ["pair"], limits=Limits(max_turns=3, budget=2))
    run = run_redteam(request)
    conversation, events = _trajectories(str(request.store_url), run.id)["pair"]
    assert len(events) == 2 and conversation.success is False


def test_tap_prunes_duplicates_off_topic_and_all_but_the_best(tmp_path: Path) -> None:
    request = _request(
        tmp_path,
        ["tap"],
        limits=Limits(max_turns=3, width=1, branching=3),
        attacker_params=GenerateParams(max_tokens=32, temperature=0.7, seed=100),
    )
    run = run_redteam(request)
    conversation, events = _trajectories(str(request.store_url), run.id)["tap"]
    assert [(e.kind, e.turn, e.branch, e.data.get("reason")) for e in events] == [
        ("turn", 1, "0.0", None),
        ("pruned", 1, "0.1", "empty or duplicate proposal"),
        ("pruned", 1, "0.2", "off topic"),
        ("turn", 2, "0.0.0", None),
        ("turn", 2, "0.0.1", None),
        ("pruned", 2, "0.0.2", "off topic"),
        ("pruned", 2, "0.0.0", "not among the 1 best"),
        ("turn", 3, "0.0.1.0", None),
    ]
    assert [e.prompt for e in events if e.kind == "turn"] == [
        "tap d1 b0",
        "tap d2 b0",
        "tap d2 b1",
        "tap d3 b0",
    ]
    assert conversation.success and conversation.first_failure_turn == 3


def test_single_turn_transform_sends_the_rewritten_request(tmp_path: Path) -> None:
    request = _request(tmp_path, [], transforms=["rot13"])
    run = run_redteam(request)
    conversation, events = _trajectories(str(request.store_url), run.id)["single"]
    assert conversation.spec.family == "encoding" and conversation.spec.technique == "rot13"
    assert len(events) == 1 and events[0].prompt.startswith("The message below is encoded")
    assert conversation.success is False  # the double answers with rating 5 < 10


def test_provider_errors_are_errors_not_outcomes(tmp_path: Path) -> None:
    request = _request(tmp_path, ["pair"], attacker=D + "explosive_attacker")
    run = run_redteam(request)
    conversation, events = _trajectories(str(request.store_url), run.id)["pair"]
    assert conversation.status == "error" and conversation.success is None
    assert "RuntimeError: the provider fell over" in (conversation.error or "")
    assert [e.kind for e in events] == ["error"]
    with Store(request.store_url) as store:
        evidence = load_evidence(store, run.id)
    assert evidence.results[0].success is None


def test_a_judge_without_a_verdict_is_an_error(tmp_path: Path) -> None:
    request = _request(tmp_path, ["pair"], judge=D + "mute_judge")
    run = run_redteam(request)
    conversation, events = _trajectories(str(request.store_url), run.id)["pair"]
    assert conversation.status == "error" and "no rating" in (conversation.error or "")
    assert events[-1].kind == "error" and events[-1].response is not None


def test_resume_redoes_only_unfinished_conversations(tmp_path: Path) -> None:
    request = _request(tmp_path, ["crescendo", "pair"])
    first = run_redteam(request)
    url = str(request.store_url)
    before = _trajectories(url, first.id)
    # Simulate a crash during PAIR: the run and that conversation are left running.
    from safetyloop.store._redteam_schema import RedteamConversationRow
    from safetyloop.store._schema import RunRow

    with Store(url) as store, store.session() as s:
        run_row = s.get(RunRow, first.id)
        assert run_row is not None
        run_row.status = "running"
        row = s.get(RedteamConversationRow, before["pair"][0].id)
        assert row is not None
        row.status = "running"
    second = run_redteam(request)
    assert second.id == first.id and second.status == "finished"
    after = _trajectories(url, first.id)
    assert after["crescendo"][1] == before["crescendo"][1]  # untouched, same timestamps
    assert _shape(after["pair"][1]) == _shape(before["pair"][1])  # redone whole, once
    with Store(url) as store:
        assert db.count_runs(store) == 1


def test_attack_set_hash_versions_the_plan(tmp_path: Path) -> None:
    one = run_redteam(_request(tmp_path, ["pair"]))
    two = run_redteam(_request(tmp_path, ["pair"], requests=2))
    assert one.attack_set_hash != two.attack_set_hash
    assert one.lineage["attacker"]["kind"] == "python"


def test_multi_turn_strategies_need_an_attacker(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="need an attacker"):
        run_redteam(_request(tmp_path, ["crescendo"], attacker=None))


def test_unknown_strategy_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="unknown multi-turn strategy 'nope'"):
        run_redteam(_request(tmp_path, ["nope"]))


def test_runs_and_replays_on_postgresql(pg_url: str, tmp_path: Path) -> None:
    request = _request(tmp_path, ["crescendo"], store_url=pg_url)
    run = run_redteam(request)
    conversation, events = _trajectories(pg_url, run.id)["crescendo"]
    assert conversation.backtracks == 1 and [e.kind for e in events].count("turn") == 3
