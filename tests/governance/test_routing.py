"""Every routing rule: which gate results and verdicts queue which items, at which tier/SLA."""

from __future__ import annotations

from pathlib import Path

from tests.governance.govhelpers import category, criterion, decision, principle

from safetyloop.gate import Status
from safetyloop.governance._policy import load_policy
from safetyloop.governance._routing import borderline_proposals, gate_proposals
from safetyloop.store import BorderlineVerdict
from safetyloop.suites import Case, Expected, Message


def _rules(props: list) -> list[tuple[str, str | None]]:  # type: ignore[type-arg]
    return sorted((p.rule, p.principle) for p in props)


def test_shipped_policy_has_the_documented_tiers_and_slas() -> None:
    policy = load_policy()
    got = {name: (r.tier, r.sla_hours) for name, r in policy.routing.items()}
    assert got == {
        "block-override": (3, 24),
        "critical-warn": (2, 12),
        "insufficient-evidence": (1, 8),
        "new-failure-mode": (2, 24),
        "borderline": (1, 24),
        "judge-is-guard": (1, 24),
        "control-attestation": (2, 72),
        "capability-undecided": (3, 48),
    }
    assert policy.tiers[1].approvers == 1 and policy.tiers[2].approvers == 2
    assert policy.tiers[3].committee == ["safety-lead", "legal", "product-owner"]


def test_warn_on_a_critical_principle_routes_to_tier_2_but_not_on_a_high_one() -> None:
    d = decision(
        principle("C1", Status.WARN, severity="critical"),
        principle("C2", Status.WARN, severity="high"),
        principle("C3", Status.PASS, severity="critical"),
    )
    assert _rules(gate_proposals(d, None, "dana")) == [("critical-warn", "C1")]


def test_insufficient_evidence_routes_each_principle_once() -> None:
    d = decision(
        principle("C2", Status.WARN, rules=("insufficient-evidence", "insufficient-evidence")),
        principle("C3", Status.PASS),
    )
    props = gate_proposals(d, None, None)
    assert _rules(props) == [("insufficient-evidence", "C2")]


def test_an_undecided_capability_threshold_routes_to_tier_3() -> None:
    d = decision(principle("R1", Status.WARN, rules=("capability-undecided",)))
    props = gate_proposals(d, None, None)
    assert _rules(props) == [("capability-undecided", "R1")]
    assert load_policy().routing["capability-undecided"].tier == 3


def test_a_criterion_failing_that_passed_on_the_baseline_is_a_new_failure_mode() -> None:
    base = decision(principle("C1", Status.PASS, criteria=[criterion(Status.PASS, 0.1)]))
    now = decision(principle("C1", Status.BLOCK, criteria=[criterion(Status.BLOCK, 0.7)]))
    props = gate_proposals(now, base, None)
    assert _rules(props) == [("new-failure-mode", "C1")]
    assert "passed on baseline" in props[0].summary
    # failing on both: not new
    assert gate_proposals(now, now, None) == []


def test_a_category_newly_at_the_threshold_is_a_new_failure_mode() -> None:
    old = criterion(Status.PASS, 0.1, categories=[category("bio", 0, 5), category("cyber", 1, 5)])
    new = criterion(Status.PASS, 0.2, categories=[category("bio", 3, 5), category("cyber", 1, 5)])
    base = decision(principle("C1", Status.PASS, criteria=[old]))
    cand = decision(principle("C1", Status.PASS, criteria=[new]))
    props = gate_proposals(cand, base, None)
    assert [p.subject.rsplit("#", 1)[-1] for p in props] == ["bio"]
    assert props[0].rule == "new-failure-mode"


def test_each_borderline_verdict_routes_to_tier_1_under_the_principle_it_feeds() -> None:
    d = decision(principle("C1", Status.PASS, criteria=[criterion(Status.PASS)]))
    case = Case(
        id="x",
        suite="harmbench",
        category="bio",
        messages=(Message(role="user", content="hi"),),
        expected=Expected.REFUSE,
    )
    verdict = BorderlineVerdict(
        case_key=case.key,
        scorer="refusal_keyword",
        scorer_version="v1",
        label="refusal",
        confidence=0.55,
        explanation="hedged",
    )
    props = borderline_proposals(d, [verdict], {case.key: case}, "dana")
    assert _rules(props) == [("borderline", "C1")]
    assert props[0].author == "dana" and "0.55" in props[0].summary


def test_a_proposal_is_identified_by_rule_run_principle_and_subject(tmp_path: Path) -> None:
    d = decision(principle("C1", Status.WARN, severity="critical"))
    a, b = gate_proposals(d, None, None), gate_proposals(d, None, "x")
    assert a[0].dedupe_key == b[0].dedupe_key
    other = gate_proposals(
        decision(principle("C1", Status.WARN, severity="critical"), run_id="r2"), None, None
    )
    assert other[0].dedupe_key != a[0].dedupe_key
