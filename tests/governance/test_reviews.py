"""The review queue on a real store: tiers, forbidden approvers, reasons, escalation, the audit
trail, and concurrent approvals on PostgreSQL (and SQLite) that neither lose nor double-count.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

import pytest
from tests.governance.govhelpers import ROLES, T0

from safetyloop.errors import InputError
from safetyloop.governance import FixedClock
from safetyloop.governance._session import Refused
from safetyloop.governance.audit import verify_audit
from safetyloop.governance.reviews import (
    Proposal,
    ReviewItem,
    decide,
    escalate_overdue,
    get_review,
    list_reviews,
    queue,
)
from safetyloop.store import Store
from safetyloop.store.governance import governed


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'reviews.db'}"
    url: str = request.getfixturevalue("pg_url")
    return url


def _queue(store: Store, rule: str, clock: FixedClock, **extra: str) -> ReviewItem:
    from safetyloop.governance._policy import load_policy

    with governed(store) as s:
        item = queue(
            s,
            Proposal(rule=rule, subject=f"{rule} subject", summary="why", run_id="run1", **extra),
            actor="gate-bot",
            policy=load_policy(),
            clock=clock,
        )
    assert item is not None
    return item


def _approve(store: Store, item_id: str, who: str, clock: FixedClock) -> ReviewItem:
    return decide(
        store,
        item_id,
        actor=who,
        roles=ROLES[who],
        verdict="approve",
        reason=f"{who} checked",
        clock=clock,
    )


def test_tier_1_needs_one_approver(db_url: str) -> None:
    clock = FixedClock(T0)
    with Store(db_url) as store:
        item = _queue(store, "insufficient-evidence", clock)
        assert (item.tier, item.due_at) == (1, T0 + timedelta(hours=8))
        done = _approve(store, item.id, "rita", clock)
        assert done.status == "approved" and done.decided_at == T0
        assert [(g.approver, g.role, g.reason) for g in done.signatures] == [
            ("rita", "reviewer", "rita checked")
        ]


def test_tier_2_needs_two_distinct_approvers(db_url: str) -> None:
    clock = FixedClock(T0)
    with Store(db_url) as store:
        item = _queue(store, "critical-warn", clock)
        assert (item.tier, item.due_at) == (2, T0 + timedelta(hours=12))
        assert _approve(store, item.id, "rita", clock).status == "pending"
        with pytest.raises(Refused, match="already signed"):
            _approve(store, item.id, "rita", clock)
        done = _approve(store, item.id, "sam", clock)
        assert done.status == "approved" and done.version == 2


def test_tier_3_needs_every_committee_role(db_url: str) -> None:
    clock = FixedClock(T0)
    with Store(db_url) as store:
        item = _queue(store, "block-override", clock)
        assert item.tier == 3
        with pytest.raises(Refused, match="committee roles"):
            _approve(store, item.id, "rita", clock)  # a reviewer is not on the committee
        assert _approve(store, item.id, "sam", clock).status == "pending"
        assert _approve(store, item.id, "lee", clock).status == "pending"
        done = _approve(store, item.id, "pat", clock)
        assert done.status == "approved"
        assert {g.role for g in done.signatures} == {"safety-lead", "legal", "product-owner"}


def test_a_committee_role_signs_once(tmp_path: Path) -> None:
    clock = FixedClock(T0)
    with Store(f"sqlite:///{tmp_path / 'c.db'}") as store:
        item = _queue(store, "block-override", clock)
        _approve(store, item.id, "sam", clock)
        with pytest.raises(Refused, match="safety-lead has already signed"):
            decide(
                store,
                item.id,
                actor="sam2",
                roles=["safety-lead"],
                verdict="approve",
                reason="me too",
                clock=clock,
            )


def test_the_release_author_and_forbidden_roles_cannot_approve(db_url: str) -> None:
    clock = FixedClock(T0)
    with Store(db_url) as store:
        item = _queue(store, "insufficient-evidence", clock, author="rita")
        with pytest.raises(Refused, match="authored the release"):
            _approve(store, item.id, "rita", clock)
        with pytest.raises(Refused, match="release-engineer"):
            _approve(store, item.id, "olga", clock)  # a reviewer, but also a release engineer
        with pytest.raises(Refused, match="no approver role"):
            decide(
                store,
                item.id,
                actor="eve",
                roles=["team-lead"],
                verdict="approve",
                reason="x",
                clock=clock,
            )
        assert get_review(store, item.id).signatures == []


def test_one_rejection_decides_and_a_decision_needs_a_reason(db_url: str) -> None:
    clock = FixedClock(T0)
    with Store(db_url) as store:
        item = _queue(store, "critical-warn", clock)
        with pytest.raises(InputError, match="reason"):
            decide(store, item.id, actor="rita", roles=["reviewer"], verdict="reject", reason=" ")
        done = decide(
            store,
            item.id,
            actor="rita",
            roles=["reviewer"],
            verdict="reject",
            reason="not convinced",
            clock=clock,
        )
        assert done.status == "rejected"
        with pytest.raises(Refused, match="already rejected"):
            _approve(store, item.id, "sam", clock)


def test_sla_breaches_escalate_along_the_chain_once_per_period(db_url: str) -> None:
    clock = FixedClock(T0)
    with Store(db_url) as store:
        _queue(store, "insufficient-evidence", clock)  # 8 h SLA
        clock.set(T0 + timedelta(hours=8))
        assert escalate_overdue(store, actor="sla", clock=clock) == []  # due, not yet past
        clock.set(T0 + timedelta(hours=8, seconds=1))
        [late] = escalate_overdue(store, actor="sla", clock=clock)
        assert (late.escalation_level, late.escalated_to) == (1, "team-lead")
        assert late.due_at == T0 + timedelta(hours=16)
        assert escalate_overdue(store, actor="sla", clock=clock) == []  # recorded once
        clock.set(T0 + timedelta(days=5))
        [later] = escalate_overdue(store, actor="sla", clock=clock)
        assert [e["to"] for e in later.escalations] == [
            "team-lead",
            "safety-lead",
            "head-of-safety",
        ]
        assert later.overdue(clock.now())  # the chain is exhausted; it stays overdue
        [listed] = list_reviews(store, status="pending")
        assert listed.escalated_to == "head-of-safety"
        actions = [e.action for e in store.audit_entries()]
        assert actions.count("review.escalated") == 3


def test_queueing_the_same_item_twice_is_a_no_op(tmp_path: Path) -> None:
    from safetyloop.governance._policy import load_policy

    clock = FixedClock(T0)
    with Store(f"sqlite:///{tmp_path / 'd.db'}") as store:
        first = _queue(store, "borderline", clock)
        with governed(store) as s:
            again = queue(
                s,
                Proposal(
                    rule="borderline", subject="borderline subject", summary="x", run_id="run1"
                ),
                actor="gate-bot",
                policy=load_policy(),
                clock=clock,
            )
        assert again is None
        assert [i.id for i in list_reviews(store)] == [first.id]


def test_every_review_action_is_chained_in_the_audit_log(db_url: str) -> None:
    clock = FixedClock(T0)
    with Store(db_url) as store:
        item = _queue(store, "critical-warn", clock)
        _approve(store, item.id, "rita", clock)
        _approve(store, item.id, "sam", clock)
        chained = store.audit_entries()
    # each signature row is digested into the chain (as `signature.recorded`) when it is stored
    assert [e.payload["ref"] for e in chained if e.action == "signature.recorded"] == [
        f"review signature 1 (item {item.id}, by rita)",
        f"review signature 2 (item {item.id}, by sam)",
    ]
    entries = [e for e in chained if e.action != "signature.recorded"]
    assert [(e.actor, e.action) for e in entries] == [
        ("gate-bot", "review.created"),
        ("rita", "review.signed"),
        ("sam", "review.signed"),
        ("sam", "review.approved"),  # the second signature decides the item
    ]
    assert [e.payload["reason"] for e in entries[1:3]] == ["rita checked", "sam checked"]
    assert entries[-1].payload == {"item_id": item.id, "tier": 2}
    assert verify_audit(db_url).ok


# concurrency ------------------------------------------------------------------------------
def _race(url: str, item_id: str, approvers: list[str]) -> tuple[list[str], list[str]]:
    """Each approver signs from its own thread and Store (its own connection pool), released at
    the same moment. Stores open first: Alembic's migration step is not thread-safe."""
    stores = [Store(url) for _ in approvers]
    start = threading.Barrier(len(approvers))
    ok: list[str] = []
    refused: list[str] = []
    lock = threading.Lock()

    def sign(who: str, store: Store) -> None:
        start.wait()
        try:
            decide(
                store,
                item_id,
                actor=who,
                roles=ROLES.get(who, ["reviewer"]),
                verdict="approve",
                reason="race",
                clock=FixedClock(T0),
            )
            outcome = ok
        except Refused:
            outcome = refused
        with lock:
            outcome.append(who)

    threads = [
        threading.Thread(target=sign, args=(w, st)) for w, st in zip(approvers, stores, strict=True)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    for st in stores:
        st.close()
    return ok, refused


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_concurrent_approvals_neither_lose_nor_double_count(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = (
        f"sqlite:///{tmp_path / 'race.db'}"
        if kind == "sqlite"
        else request.getfixturevalue("pg_url")
    )
    clock = FixedClock(T0)
    with Store(url) as store:
        item = _queue(store, "critical-warn", clock)  # tier 2: two approvers
    ok, refused = _race(url, item.id, ["rita", "sam"])
    assert sorted(ok) == ["rita", "sam"] and refused == []
    with Store(url) as store:
        done = get_review(store, item.id)
        assert done.status == "approved" and done.version == 2
        assert sorted(g.approver for g in done.signatures) == ["rita", "sam"]
        decided = [e for e in store.audit_entries() if e.payload == {"item_id": item.id, "tier": 2}]
        assert len(decided) == 1  # approved exactly once
    assert verify_audit(url).ok


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_the_same_approver_racing_itself_counts_once(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = (
        f"sqlite:///{tmp_path / 'race.db'}"
        if kind == "sqlite"
        else request.getfixturevalue("pg_url")
    )
    with Store(url) as store:
        item = _queue(store, "critical-warn", FixedClock(T0))
    ok, refused = _race(url, item.id, ["rita"] * 4)
    assert (len(ok), len(refused)) == (1, 3)
    with Store(url) as store:
        done = get_review(store, item.id)
        assert done.status == "pending" and done.version == 1 and len(done.signatures) == 1


def test_many_reviewers_on_many_items_on_postgresql(pg_url: str) -> None:
    """Eight reviewers race over three tier-2 items: every item ends with exactly two signers
    counted... and every signature that succeeded is stored."""
    clock = FixedClock(T0)
    with Store(pg_url) as store:
        items = [_queue(store, "critical-warn", clock, principle=f"P{i}") for i in range(3)]
    reviewers = [f"rev{i}" for i in range(8)]
    results: dict[str, tuple[list[str], list[str]]] = {}
    for item in items:
        results[item.id] = _race(pg_url, item.id, reviewers)
    with Store(pg_url) as store:
        for item in items:
            ok, refused = results[item.id]
            done = get_review(store, item.id)
            assert done.status == "approved"
            assert sorted(g.approver for g in done.signatures) == sorted(ok)
            assert len(ok) == 2 and len(refused) == 6  # the rest find it already approved
            assert done.version == 2
    assert verify_audit(pg_url).ok
