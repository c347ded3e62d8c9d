"""`report risk` from a real store: one pathway fully evidenced, one with gaps, one with an
expired attestation — each claim linked to its run or attestation, the gaps named, the
conclusion no stronger than the weakest pathway, the files hashed into the audit log, and
the debt freshness opens (once), which the gate then ages like any debt."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from typing import Any

from tests.governance.govhelpers import decision, principle
from tests.risk.riskworld import World

from safetyloop.clock import FixedClock
from safetyloop.gate import Status
from safetyloop.governance import load_policy
from safetyloop.governance.debt import get_debt
from safetyloop.governance.gating import govern
from safetyloop.store import Store


def _pathway(twin: dict[str, Any], pid: str) -> dict[str, Any]:
    (found,) = [p for p in twin["pathways"] if p["id"] == pid]
    return found


def _claim(twin: dict[str, Any], pid: str, cid: str) -> dict[str, Any]:
    (found,) = [c for c in _pathway(twin, pid)["claims"] if c["id"] == cid]
    return found


def test_each_pathway_status_and_the_conclusion_is_the_weakest(written: dict[str, Any]) -> None:
    twin = written["twin"]
    assert {p["id"]: p["status"] for p in twin["pathways"]} == {
        "evidenced": "supported",
        "gapped": "weak",
        "expiring": "unsupported",
    }
    assert twin["status"] == "unsupported"
    assert (
        "no stronger than its weakest pathway (With an expired attestation)" in twin["conclusion"]
    )


def test_a_supported_claim_links_to_the_run_and_its_interval(
    world: World, written: dict[str, Any]
) -> None:
    [evidence] = _claim(written["twin"], "evidenced", "stays-on-task")["evidence"]
    assert evidence["current"] and evidence["run_id"] == world.agentic_run
    [figure] = evidence["figures"]
    assert figure["metric"] == "targeted_attack_success" and figure["run_id"] == world.agentic_run
    assert (figure["value"], figure["n"]) == (0.0, 90)  # the ignoring agent: 0 of 90 attacks
    assert 0.0 <= figure["low"] <= figure["value"] <= figure["high"] <= 0.10
    [attested] = _claim(written["twin"], "evidenced", "reviewed")["evidence"]
    assert (
        attested["current"] and attested["attestation"]["id"] == world.attestations["code-review"]
    )
    assert sorted(attested["attestation"]["approvers"]) == ["ravi", "rita"]


def test_the_gaps_say_why(world: World, written: dict[str, Any]) -> None:
    twin = written["twin"]
    [failing] = _claim(twin, "gapped", "cannot-do-the-task")["evidence"]
    assert failing["gaps"] == ["failing"] and "benign_utility = 1.000" in failing["why"]
    [stale] = _claim(twin, "gapped", "fresh-enough")["evidence"]
    assert stale["gaps"] == ["stale"] and "the policy allows 1" in stale["why"]
    [unsigned] = _claim(twin, "gapped", "monitored")["evidence"]
    assert unsigned["gaps"] == ["unsigned"] and "awaits review" in unsigned["why"]
    [expired] = _claim(twin, "expiring", "secured")["evidence"]
    assert expired["gaps"] == ["expired"]
    assert world.attestations["weights-security"] in expired["why"]


def test_stale_evidence_and_an_expired_attestation_open_debt_once(
    world: World, written: dict[str, Any]
) -> None:
    debt = written["twin"]["debt"]
    assert sorted((d["principle"], d["severity"], d["opened"]) for d in debt) == [
        ("risk:expiring", "critical", True),
        ("risk:gapped", "high", True),
    ]
    again = world.report("again.json", at=world.t0 + timedelta(days=2, hours=1))
    assert again.code == 1, again.err
    twin = json.loads((world.folder / "again.json").read_text("utf-8"))
    assert sorted(d["debt_id"] for d in twin["debt"]) == sorted(d["debt_id"] for d in debt)
    assert not any(d["opened"] for d in twin["debt"])  # idempotent: nothing new opened


def test_the_gate_warns_then_blocks_on_that_debt(world: World, written: dict[str, Any]) -> None:
    (expired,) = [d for d in written["twin"]["debt"] if d["principle"] == "risk:expiring"]
    with Store(world.store) as db:
        opened = get_debt(db, expired["debt_id"]).created_at
        statuses = []
        for days in (1, 15, 46):  # critical debt: warn at 14 days, BLOCK at 45
            clock = FixedClock(opened + timedelta(days=days))
            d = decision(principle("C1", Status.PASS), run_id="r-risk")
            governed = govern(db, d, None, record=False, clock=clock, policy=load_policy())
            findings = [
                f for p in governed.principles for f in p.findings
                if f.rule == "debt-aging" and expired["debt_id"] in f.message
            ]  # fmt: skip
            # below warn, a PASS about a principle outside the constitution is left out
            statuses.append((findings[0].status if findings else None, governed.decision))
    assert statuses == [
        (None, Status.PASS),
        (Status.WARN, Status.WARN),
        (Status.BLOCK, Status.BLOCK),
    ]


def test_the_hash_of_every_file_is_in_the_audit_log(world: World, written: dict[str, Any]) -> None:
    with Store(world.store) as db:
        entries = [e for e in db.audit_entries() if e.action == "report.risk"]
    (first,) = [e for e in entries if e.payload["id"] == written["twin"]["report_id"]]
    for name in ("first.html", "first.md", "first.json", "first.dot"):
        digest = hashlib.sha256((world.folder / name).read_bytes()).hexdigest()
        assert first.payload["sha256"][name] == digest
    assert first.payload["status"] == "unsupported"


def test_the_gsn_graph_has_every_claim_and_evidence(world: World, written: dict[str, Any]) -> None:
    graph = written["twin"]["graph"]
    kinds = [n["type"] for n in graph["nodes"]]
    assert kinds.count("strategy") == 3 and kinds.count("solution") == 3
    assert kinds.count("undeveloped") == 4  # the four gaps
    assert len(graph["edges"]) == len(graph["nodes"]) - 1  # a tree under the top goal
    dot = (world.folder / "first.dot").read_text("utf-8")
    assert dot.startswith("digraph risk_argument {") and '"G0" -> "S1";' in dot


def test_a_critique_is_attached_answered_and_shown_in_the_next_report(
    world: World, written: dict[str, Any]
) -> None:
    report_id = written["twin"]["report_id"]
    added = world.cli(
        "report",
        "critique",
        "add",
        report_id,
        "--text",
        "Utility alone says nothing about sandbagging.",
        actor="ext-reviewer",
    )
    assert added.code == 0, added.err
    crit = added.out.split()[1]
    answered = world.cli(
        "report",
        "critique",
        "answer",
        crit,
        "--text",
        "Agreed: capability evidence added next cycle.",
    )
    assert answered.code == 0, answered.err
    later = world.report("later.md", at=world.t0 + timedelta(days=3))
    text = (world.folder / "later.md").read_text("utf-8")
    assert "ext-reviewer on" in text and "answered by dana: Agreed" in text
    assert later.code == 1


def test_markdown_marks_gaps(world: World, written: dict[str, Any]) -> None:
    text = (world.folder / "first.md").read_text("utf-8")
    assert "**Conclusion: UNSUPPORTED.**" in text
    assert f"(run `{world.agentic_run}`): current" in text
    assert "**gap: expired**" in text and "**gap: stale**" in text


def test_the_roadmap_says_what_closes_each_gap(written: dict[str, Any]) -> None:
    steps = written["twin"]["roadmap"]
    assert [s["severity"] for s in steps] == ["critical", "high", "high", "high"]
    actions = {(s["claim"], s["gap"]): s["action"] for s in steps}
    assert actions[("secured", "expired")].startswith("re-check control weights-security")
    assert "safetyloop review approve rv-" in actions[("monitored", "unsigned")]
    assert "benign_utility meets high <= 0.5" in actions[("cannot-do-the-task", "failing")]
    assert actions[("fresh-enough", "stale")].startswith("re-measure (older than 1 days)")


def test_report_verify_checks_a_file_against_the_audit_log(
    world: World, written: dict[str, Any]
) -> None:
    same = world.cli("report", "verify", "first.html")
    assert same.code == 0, same.err
    assert f"matches first.html of report {written['twin']['report_id']}" in " ".join(
        same.out.split()
    )
    edited = world.folder / "edited.md"
    edited.write_text((world.folder / "first.md").read_text("utf-8") + "\nAll clear.\n", "utf-8")
    changed = world.cli("report", "verify", "edited.md")
    assert changed.code == 1 and "matches no recorded risk report" in changed.out
