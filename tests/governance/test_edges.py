"""Governance at its edges, through the CLI in process: only a role the policy lets approve may
clear debt, a clearance by risk acceptance lapses with the acceptance, and a release waits for
the tier-2 and tier-3 reviews the policy says people must decide — overdue or not."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from tests.cli.invoking import Invoked, invoke_once
from tests.constitutions import write_one_principle
from tests.governance.govhelpers import (
    CAREFUL,
    COMPLIER,
    MIN_SAMPLES,
    ROLES,
    T0,
    real_run,
    write_roles,
)

from safetyloop.api import gate
from safetyloop.gate import Status
from safetyloop.governance import FixedClock
from safetyloop.governance._policy import default_policy_path, load_policy
from safetyloop.governance.debt import get_debt, link_regression_cases
from safetyloop.governance.exceptions import request_exception
from safetyloop.governance.reviews import Proposal, decide, list_reviews, queue
from safetyloop.store import RunInfo, Store
from safetyloop.store.governance import governed


@dataclass
class Project:
    folder: Path
    url: str
    good: RunInfo

    def cli(self, *args: str, actor: str | None = None, at: timedelta = timedelta()) -> Invoked:
        env = {
            "SAFETYLOOP_STORE_URL": self.url,
            "SAFETYLOOP_ROLES": str(self.folder / "roles.yaml"),
            "SAFETYLOOP_NOW": (T0 + at).isoformat(),
        }
        if actor is not None:
            env["SAFETYLOOP_ACTOR"] = actor
        return invoke_once(*args, cwd=self.folder, env=env)

    def audited(self, action: str) -> int:
        with sqlite3.connect(self.folder / "store.db") as c:
            [(count,)] = c.execute("SELECT count(*) FROM audit_log WHERE action = ?", (action,))
        return int(count)


def outcome(result: Invoked) -> tuple[int, str]:
    """Exit code and everything printed, whitespace collapsed, as a user reads it."""
    return result.code, " ".join((result.out + result.err).split())


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Project]:
    """A store with a passing run of the careful target, started by dana (release engineer)."""
    monkeypatch.setenv("SAFETYLOOP_ACTOR", "dana")
    for name in ("SAFETYLOOP_POLICY", "SAFETYLOOP_NOW"):
        monkeypatch.delenv(name, raising=False)
    write_one_principle(tmp_path, "edges", min_samples=MIN_SAMPLES)
    write_roles(tmp_path)
    with (tmp_path / "roles.yaml").open("a", encoding="utf-8") as roles:
        roles.write("tom: [team-lead]\n")
    url = f"sqlite:///{tmp_path / 'store.db'}"
    yield Project(tmp_path, url, real_run(tmp_path, url, CAREFUL, clock=FixedClock(T0)))


def _debt(p: Project) -> str:
    code, out = outcome(
        p.cli(
            "debt", "add", "--principle", "C1", "--severity", "critical", "--owner", "sam",
            "--description", "complies with harmful requests", actor="sam",
        )
    )  # fmt: skip
    assert code == 0, out
    return out.split("opened ", 1)[1].split()[0]


def test_only_an_approver_role_clears_debt(project: Project) -> None:
    p = project
    debt = _debt(p)
    with Store(p.url) as store:
        keys = [c.key for c in store.run_cases(p.good.id)][:2]
        link_regression_cases(store, debt, suite="harmbench", case_ids=keys, actor="sam")
    clear = ("debt", "clear", debt, "--run", p.good.id)
    for who, code, why in (
        ("dana", 1, "dana holds the role release-engineer, which may not clear debt"),
        ("tom", 1, "tom holds no approver role"),
        ("olga", 1, "release-engineer"),  # a reviewer who is also a release engineer
        ("zed", 2, "unknown actor 'zed'"),
    ):
        got, out = outcome(p.cli(*clear, actor=who))
        assert (got, why in out) == (code, True), out
    with Store(p.url) as store:
        assert get_debt(store, debt).status == "open"
    assert p.audited("debt.cleared") == 0
    code, out = outcome(p.cli(*clear, actor="rita"))
    assert code == 0 and f"cleared {debt} by rita (regression-run)" in out
    assert p.audited("debt.cleared") == 1


def test_a_debt_cleared_by_a_risk_acceptance_reopens_when_it_expires(project: Project) -> None:
    p = project
    clock = FixedClock(T0)
    bad = real_run(p.folder, p.url, COMPLIER, clock=clock)
    gate(bad.id, store_url=p.url, clock=clock, use_baseline=False)
    with Store(p.url) as store:
        exc, review = request_exception(
            store,
            run_id=bad.id,
            principles=["C1"],
            expires_at=T0 + timedelta(days=20),
            mitigation="guard model",
            reason="launch",
            actor="rita",
            clock=clock,
        )
        for who in ("sam", "lee", "pat"):
            decide(
                store, review.id, actor=who, roles=ROLES[who], verdict="approve", reason="ok",
                clock=clock,
            )  # fmt: skip
    debt = _debt(p)
    code, out = outcome(p.cli("debt", "clear", debt, "--acceptance", exc.id, actor="sam"))
    assert code == 0 and "(risk-acceptance)" in out

    # While the acceptance holds, the item is cleared: not listed, no finding at the gate.
    code, out = outcome(p.cli("debt", "list", at=timedelta(days=19)))
    assert code == 0 and debt not in out
    code, out = outcome(p.cli("gate", p.good.id, "--no-baseline", at=timedelta(days=19)))
    assert code == 0 and "debt-aging" not in out

    # The day it expires the item is open again, aged from when it was opened, everywhere.
    day21 = timedelta(days=21)
    code, out = outcome(p.cli("debt", "list", at=day21))
    assert code == 0 and f"{debt} C1 critical reopened 21.0 warn" in out
    assert f"{debt} reopened: risk acceptance {exc.id} expired at" in out
    assert p.audited("debt.reopened") == 0  # reading changes nothing
    code, out = outcome(p.cli("gate", p.good.id, "--no-baseline", at=day21))
    assert (
        code == 0 and "WARN C1/debt-aging" in out and f"(reopened: risk acceptance {exc.id}" in out
    )
    assert p.audited("debt.reopened") == 1  # the recorded gate wrote it down, once
    outcome(p.cli("gate", p.good.id, "--no-baseline", at=day21))
    assert p.audited("debt.reopened") == 1
    with Store(p.url) as store:
        item = get_debt(store, debt)
    assert item.status == "open" and item.cleared_by is None and item.reopened
    code, out = outcome(p.cli("debt", "clear", debt, "--acceptance", exc.id, actor="sam", at=day21))
    assert code == 1 and "expired" in out


def _hold(p: Project, rule: str = "new-failure-mode") -> str:
    """Queue a review item of `rule` about the passing run, as routing would; returns its id."""
    with Store(p.url) as store, governed(store) as s:
        item = queue(
            s,
            Proposal(
                rule=rule,
                subject="C1/harmful_compliance@harmbench",
                summary="failing where the baseline passed",
                run_id=p.good.id,
                target=p.good.target_name,
                principle="C1",
                author="dana",
            ),
            actor="bot",
            policy=load_policy(),
            clock=FixedClock(T0),
        )
    assert item is not None and item.tier == 2
    return item.id


def test_an_undecided_tier_2_review_holds_the_release_until_approved(project: Project) -> None:
    p = project
    gate_it = ("gate", p.good.id, "--no-baseline")
    code, out = outcome(p.cli(*gate_it))
    assert code == 0 and "decision: PASS" in out
    item = _hold(p)
    code, out = outcome(p.cli(*gate_it))
    assert code == 1 and "decision: BLOCK" in out
    assert "BLOCK C1/awaiting-review: 1 required review item awaiting a decision" in out
    assert f"{item} (tier 2 new-failure-mode, due 2030-01-02 12:00 UTC)" in out
    code, out = outcome(p.cli("review", "approve", item, "--reason", "seen", actor="rita"))
    assert code == 0 and "pending, 1 approval" in out
    assert outcome(p.cli(*gate_it))[0] == 1  # tier 2 needs two approvers
    code, out = outcome(p.cli("review", "approve", item, "--reason", "agreed", actor="ravi"))
    assert code == 0 and "approved" in out
    code, out = outcome(p.cli(*gate_it))
    assert code == 0 and "decision: PASS" in out and "awaiting-review" not in out


def test_an_overdue_review_escalates_and_still_holds_the_release(project: Project) -> None:
    p = project
    item = _hold(p)
    code, out = outcome(p.cli("gate", p.good.id, "--no-baseline", at=timedelta(hours=25)))
    assert code == 1 and "decision: BLOCK" in out
    assert (
        f"{item} (tier 2 new-failure-mode, due 2030-01-03 12:00 UTC, escalated to team-lead)" in out
    )
    code, out = outcome(p.cli("gate", p.good.id, "--no-baseline", at=timedelta(hours=49)))
    assert code == 1 and "escalated to safety-lead" in out


def test_a_rejected_review_blocks_and_a_policy_may_let_a_tier_ship(project: Project) -> None:
    p = project
    item = _hold(p)
    policy = p.folder / "policy.yaml"
    policy.write_text(
        default_policy_path()
        .read_text(encoding="utf-8")
        .replace("2: {approvers: 2, hold_release: true}", "2: {approvers: 2, hold_release: false}"),
        encoding="utf-8",
    )
    assert not load_policy(policy).holds_release(2) and load_policy(policy).holds_release(3)
    result = invoke_once(
        *("gate", p.good.id, "--no-baseline", "--store", p.url),
        cwd=p.folder,
        env={
            "SAFETYLOOP_POLICY": str(policy),
            "SAFETYLOOP_NOW": T0.isoformat(),
            "SAFETYLOOP_ACTOR": "dana",
        },
    )
    code, out = outcome(result)
    assert code == 0 and "decision: WARN" in out and "WARN C1/pending-review" in out
    code, out = outcome(p.cli("review", "reject", item, "--reason", "not convinced", actor="rita"))
    assert code == 0 and "rejected" in out
    code, out = outcome(p.cli("gate", p.good.id, "--no-baseline"))
    assert code == 1 and "BLOCK C1/review-rejected" in out and item in out


def test_a_gate_that_records_nothing_still_holds_for_the_reviews_it_would_queue(
    project: Project,
) -> None:
    p = project
    thin = p.folder / "thin.yaml"
    write_one_principle(p.folder, "thin", min_samples=50)  # 5 cases < 50: C1 (critical) WARNs
    (p.folder / "constitution.yaml").rename(thin)
    clock = FixedClock(T0)
    unrecorded = gate(
        p.good.id, constitution=thin, store_url=p.url, clock=clock, use_baseline=False, record=False
    )
    [held] = [f for f in unrecorded.findings if f.rule == "awaiting-review"]
    assert unrecorded.decision == Status.BLOCK and held.status == Status.BLOCK
    assert "(to be queued: C1 WARN) (tier 2 critical-warn, due 2030-01-02 00:00 UTC)" in (
        held.message
    )
    with Store(p.url) as store:
        assert list_reviews(store, run_id=p.good.id) == []  # nothing was written
    recorded = gate(p.good.id, constitution=thin, store_url=p.url, clock=clock, use_baseline=False)
    with Store(p.url) as store:
        [item] = [i for i in list_reviews(store, run_id=p.good.id) if i.rule == "critical-warn"]
    assert recorded.decision == Status.BLOCK and any(
        f.rule == "awaiting-review" and item.id in f.message for f in recorded.findings
    )
    again = gate(
        p.good.id, constitution=thin, store_url=p.url, clock=clock, use_baseline=False, record=False
    )
    [held] = [f for f in again.findings if f.rule == "awaiting-review"]
    assert item.id in held.message and "to be queued" not in held.message  # counted once


def test_without_hold_release_tiers_2_and_3_hold_and_tier_1_does_not(tmp_path: Path) -> None:
    text = default_policy_path().read_text(encoding="utf-8")
    bare = re.sub(r", hold_release: (true|false)", "", text)
    assert bare.count("hold_release") == text.count("hold_release") - 3  # the three tiers
    path = tmp_path / "policy.yaml"
    path.write_text(bare, encoding="utf-8")
    policy = load_policy(path)
    assert [policy.holds_release(t) for t in (1, 2, 3)] == [False, True, True]
