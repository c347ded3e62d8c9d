"""Governance at the gate: exceptions turn BLOCK into WARN, aged debt BLOCKs, pending reviews
show — with their rule ids in every output format — and the gate routes review items."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from tests.governance.govhelpers import COMPLIER, ROLES, T0, decision, principle, real_run

from safetyloop.api import gate
from safetyloop.gate import Status, render
from safetyloop.gate._governance import (
    ActiveException,
    AgedDebt,
    GovernanceState,
    PendingReview,
    apply_governance,
)
from safetyloop.governance import FixedClock
from safetyloop.governance.debt import open_debt
from safetyloop.governance.exceptions import request_exception
from safetyloop.governance.reviews import decide, list_reviews
from safetyloop.store import Store

EXC = ActiveException(
    id="exc-1",
    principles=["C1"],
    expires_at=T0 + timedelta(days=7),
    approvers=["sam (safety-lead)"],
    mitigation="guard model",
)


def _debt(level: str, principle: str = "C1") -> AgedDebt:
    return AgedDebt(
        id="debt-1",
        principle=principle,
        severity="critical",
        description="gap",
        age_days=46.0,
        level=level,
        next_days=None,
    )


def test_an_active_exception_turns_its_principles_block_into_warn() -> None:
    d = decision(principle("C1", Status.BLOCK), principle("C2", Status.BLOCK))
    out = apply_governance(d, GovernanceState(now=T0, exceptions=[EXC]))
    c1, c2 = out.principles
    assert (c1.status, c2.status, out.decision) == (Status.WARN, Status.BLOCK, Status.BLOCK)
    assert [f.rule for f in c1.findings] == ["threshold", "exception"]
    assert c1.findings[0].message.startswith("(BLOCK waived to WARN by exception exc-1)")
    assert "exc-1" in c1.findings[1].message and "guard model" in c1.findings[1].message
    only = apply_governance(
        decision(principle("C1", Status.BLOCK)), GovernanceState(now=T0, exceptions=[EXC])
    )
    assert only.decision == Status.WARN and only.exit_code() == 0
    assert only.decided_at == T0


def test_aged_debt_blocks_and_an_exception_does_not_waive_it() -> None:
    d = decision(principle("C1", Status.BLOCK))
    out = apply_governance(d, GovernanceState(now=T0, exceptions=[EXC], debts=[_debt("block")]))
    assert out.decision == Status.BLOCK
    assert [(f.rule, f.status) for f in out.principles[0].findings][-1] == (
        "debt-aging",
        Status.BLOCK,
    )
    for level, status in (("escalate", Status.WARN), ("warn", Status.WARN), ("ok", Status.PASS)):
        got = apply_governance(
            decision(principle("C1", Status.PASS)), GovernanceState(now=T0, debts=[_debt(level)])
        )
        assert got.decision == status


def test_debt_and_reviews_outside_the_constitution_go_to_a_governance_row() -> None:
    item = PendingReview(
        id="rv-1",
        rule="borderline",
        tier=1,
        principle=None,
        subject="x",
        due_at=T0,
        overdue=True,
        escalated_to="team-lead",
    )
    out = apply_governance(
        decision(principle("C1", Status.PASS)),
        GovernanceState(now=T0, debts=[_debt("warn", "Z9")], pending=[item]),
    )
    gov = out.principles[-1]
    assert gov.id == "governance" and gov.status == Status.WARN
    assert [f.rule for f in gov.findings] == ["debt-aging", "pending-review"]
    assert "escalated to team-lead" in gov.findings[1].message


@pytest.mark.parametrize("fmt", ["json", "markdown", "junit", "html"])
def test_every_output_format_says_so_with_the_rule_id(fmt: str) -> None:
    out = apply_governance(
        decision(principle("C1", Status.BLOCK)),
        GovernanceState(now=T0, exceptions=[EXC], debts=[_debt("warn")]),
    )
    text = render(out, fmt)
    assert "C1/exception" in text or '"rule": "exception"' in text
    assert "exc-1" in text and "debt-1" in text
    if fmt == "json":
        rules = {f["rule"] for f in json.loads(text)["findings"]}
        assert {"exception", "debt-aging"} <= rules


def test_the_gate_routes_reviews_and_ships_only_through_an_approved_exception(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SAFETYLOOP_ACTOR", "dana")
    url = f"sqlite:///{tmp_path / 'store.db'}"
    clock = FixedClock(T0)
    bad = real_run(tmp_path, url, COMPLIER, clock=clock)
    first = gate(bad.id, store_url=url, clock=clock, use_baseline=False)
    assert first.decision == Status.BLOCK
    with Store(url) as store:
        exc, review = request_exception(
            store,
            run_id=bad.id,
            principles=["C1"],
            expires_at=T0 + timedelta(days=7),
            mitigation="guard model",
            reason="launch",
            actor="rita",
            clock=clock,
        )
        assert review.author == "dana"  # who started the run
    pending = gate(bad.id, store_url=url, clock=clock, use_baseline=False)
    assert pending.decision == Status.BLOCK
    assert any(
        f.rule == "awaiting-review" and f.status == Status.BLOCK and review.id in f.message
        for f in pending.findings
    )
    with Store(url) as store:
        decide(
            store,
            review.id,
            actor="sam",
            roles=ROLES["sam"],
            verdict="approve",
            reason="ok",
            clock=clock,
        )
        decide(
            store,
            review.id,
            actor="lee",
            roles=ROLES["lee"],
            verdict="approve",
            reason="ok",
            clock=clock,
        )
    still = gate(bad.id, store_url=url, clock=clock, use_baseline=False)
    assert still.decision == Status.BLOCK  # two of three committee roles
    with Store(url) as store:
        decide(
            store,
            review.id,
            actor="pat",
            roles=ROLES["pat"],
            verdict="approve",
            reason="ok",
            clock=clock,
        )
    shipped = gate(bad.id, store_url=url, clock=clock, use_baseline=False)
    assert shipped.decision == Status.WARN and shipped.exit_code() == 0
    assert any(f.rule == "exception" and exc.id in f.message for f in shipped.findings)
    expired = gate(
        bad.id, store_url=url, clock=FixedClock(T0 + timedelta(days=8)), use_baseline=False
    )
    assert expired.decision == Status.BLOCK


def test_debt_ages_into_a_block_at_the_gate_on_schedule(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    clock = FixedClock(T0)
    run = real_run(tmp_path, url, "python:tests.cli.cli_doubles:simulated_careful", clock=clock)
    before = gate(run.id, store_url=url, clock=clock, use_baseline=False)
    with Store(url) as store:
        open_debt(
            store,
            principle="C1",
            severity="critical",
            description="gap",
            owner="sam",
            actor="sam",
            clock=clock,
        )
    at = {}
    for days in (13, 14, 30, 44, 45):
        d = gate(
            run.id,
            store_url=url,
            clock=FixedClock(T0 + timedelta(days=days)),
            use_baseline=False,
            record=False,
        )
        at[days] = d.decision
    assert at[45] == Status.BLOCK and at[44] != Status.BLOCK
    assert at[13] == before.decision and at[14] == at[30] == at[44] == Status.WARN
    assert before.decision != Status.BLOCK
    blocked = gate(
        run.id, store_url=url, clock=FixedClock(T0 + timedelta(days=45)), use_baseline=False
    )
    assert any(f.rule == "debt-aging" and f.status == Status.BLOCK for f in blocked.findings)


def test_the_gate_queues_critical_warn_and_insufficient_evidence_items_once(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    clock = FixedClock(T0)
    constitution = tmp_path / "constitution.yaml"
    from tests.constitutions import write_one_principle

    write_one_principle(tmp_path, "thin", min_samples=50)  # 5 cases < 50: insufficient evidence
    run = real_run(tmp_path, url, "python:tests.cli.cli_doubles:simulated_careful", clock=clock)
    assert constitution.exists()
    d = gate(run.id, store_url=url, clock=clock, use_baseline=False)
    gate(run.id, store_url=url, clock=clock, use_baseline=False)  # routing again: no duplicates
    with Store(url) as store:
        items = list_reviews(store, run_id=run.id)
    assert sorted((i.rule, i.tier) for i in items) == [
        ("critical-warn", 2),
        ("insufficient-evidence", 1),
    ]
    # The tier-2 item holds the release until two people decide; the tier-1 one is a note.
    warned = next(i for i in items if i.rule == "critical-warn")
    held = [f for f in d.findings if f.rule == "awaiting-review"]
    assert d.decision == Status.BLOCK and d.exit_code() == 1
    assert [f.status for f in held] == [Status.BLOCK] and warned.id in held[0].message
    assert [f.status for f in d.findings if f.rule == "pending-review"] == [Status.PASS]


def test_exception_requests_are_checked_against_the_recorded_gate(tmp_path: Path) -> None:
    from safetyloop.errors import InputError, SafetyloopError

    url = f"sqlite:///{tmp_path / 'store.db'}"
    clock = FixedClock(T0)
    bad = real_run(tmp_path, url, COMPLIER, clock=clock)
    ask = {
        "run_id": bad.id,
        "principles": ["C1"],
        "expires_at": T0 + timedelta(days=7),
        "mitigation": "guard",
        "reason": "launch",
        "actor": "rita",
        "clock": clock,
    }
    with Store(url) as store, pytest.raises(SafetyloopError, match="no recorded gate decision"):
        request_exception(store, **ask)  # type: ignore[arg-type]
    gate(bad.id, store_url=url, clock=clock, use_baseline=False)
    with Store(url) as store:
        with pytest.raises(InputError, match="not in the gate decision"):
            request_exception(store, **{**ask, "principles": ["Z9"]})  # type: ignore[arg-type]
        with pytest.raises(InputError, match="not in the future"):
            request_exception(store, **{**ask, "expires_at": T0})  # type: ignore[arg-type]
        with pytest.raises(InputError, match="mitigation"):
            request_exception(store, **{**ask, "mitigation": " "})  # type: ignore[arg-type]
        exc, review = request_exception(store, **ask)  # type: ignore[arg-type]
        for who in ("sam", "lee", "pat"):
            decide(
                store,
                review.id,
                actor=who,
                roles=ROLES[who],
                verdict="approve",
                reason="ok",
                clock=clock,
            )
    assert gate(bad.id, store_url=url, clock=clock, use_baseline=False).decision == Status.WARN
    with Store(url) as store:  # renewing a waived BLOCK is allowed
        renewal, _ = request_exception(store, **ask)  # type: ignore[arg-type]
        assert renewal.status == "pending" and renewal.id != exc.id


def _review(tier: int, *, holds: bool, pid: str | None = "C1") -> PendingReview:
    return PendingReview(
        id=f"rv-{tier}",
        rule="critical-warn" if tier == 2 else "borderline",
        tier=tier,
        principle=pid,
        subject="x",
        due_at=T0 + timedelta(hours=12),
        overdue=False,
        escalated_to=None,
        holds=holds,
    )


def test_reviews_that_hold_the_release_block_it_and_the_others_do_not() -> None:
    held = apply_governance(
        decision(principle("C1", Status.PASS)),
        GovernanceState(now=T0, pending=[_review(2, holds=True), _review(1, holds=False)]),
    )
    assert held.decision == Status.BLOCK and held.exit_code() == 1
    rules = [(f.rule, f.status) for f in held.findings]
    assert rules == [
        ("threshold", Status.PASS),
        ("awaiting-review", Status.BLOCK),
        ("pending-review", Status.PASS),
    ]
    assert "rv-2 (tier 2 critical-warn, due 2030-01-02 00:00 UTC)" in held.findings[1].message
    reported = apply_governance(
        decision(principle("C1", Status.PASS)),
        GovernanceState(now=T0, pending=[_review(2, holds=False)]),
    )
    assert reported.decision == Status.WARN  # a tier the policy lets ship: reported only
    outside = apply_governance(
        decision(principle("C1", Status.PASS)),
        GovernanceState(now=T0, rejected=[_review(3, holds=True, pid=None)]),
    )
    gov = outside.principles[-1]
    assert (gov.id, gov.status) == ("governance", Status.BLOCK)
    assert gov.findings[0].rule == "review-rejected" and "rv-3" in gov.findings[0].message


def test_an_exception_does_not_apply_to_another_target_or_a_passing_principle(
    tmp_path: Path,
) -> None:
    out = apply_governance(
        decision(principle("C1", Status.PASS), principle("C2", Status.BLOCK)),
        GovernanceState(now=T0, exceptions=[EXC]),
    )
    assert [p.status for p in out.principles] == [Status.PASS, Status.BLOCK]
    assert all(f.rule != "exception" for f in out.findings)
