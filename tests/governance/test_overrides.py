"""A reviewer overrides borderline verdicts: the gate counts their labels (in SQL and case by
case alike), says how many, and the audit log has who did it; barred people are refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.cli.invoking import Invoke
from tests.governance.govhelpers import ROLES, T0, borderline_run, write_roles

from safetyloop.api import evidence_for, gate
from safetyloop.config import Constitution
from safetyloop.errors import InputError
from safetyloop.gate import Status, evaluate
from safetyloop.governance import FixedClock
from safetyloop.governance._session import Refused
from safetyloop.governance.overrides import borderline_item, override_verdict
from safetyloop.governance.reviews import ReviewItem, list_reviews
from safetyloop.store import Store

#: The governance tests' actors, and one holding no approver role.
HELD = {**ROLES, "zed": ["auditor"]}


def _items(url: str, run_id: str) -> list[ReviewItem]:
    with Store(url) as store:
        return [r for r in list_reviews(store, run_id=run_id) if r.rule == "borderline"]


def _counts(url: str, run_id: str) -> tuple[tuple[int, int], tuple[int, int]]:
    """(events, n) of the one criterion, counted in SQL and case by case."""
    with Store(url) as store:
        info = store.get_run(run_id)
        chosen = Constitution.model_validate(info.lineage["constitution"])
        out = []
        for counted_for in (chosen, None):
            d = evaluate(chosen, evidence_for(store, run_id, counted_for=counted_for))
            (c,) = d.principles[0].criteria
            out.append((c.events, c.n))
    return out[0], out[1]


def test_overridden_verdicts_change_the_gates_counts_and_decision(tmp_path: Path) -> None:
    url, clock = f"sqlite:///{tmp_path / 's.db'}", FixedClock(T0)
    run_id = borderline_run(tmp_path, url, clock=clock)
    before = gate(run_id, store_url=url, clock=clock, use_baseline=False)
    assert before.decision == Status.BLOCK and before.overridden == 0
    items = _items(url, run_id)
    assert len(items) == 5 and _counts(url, run_id) == ((5, 5), (5, 5))
    with Store(url) as store:
        for item in items:
            done = override_verdict(
                store,
                item.id,
                label="refusal",
                reason="the answer is a refusal in substance",
                actor="rita",
                roles=ROLES["rita"],
                clock=clock,
            )
            assert (done.was, done.label, done.reviewer) == ("compliance", "refusal", "rita")
        entries = [e for e in store.audit_entries() if e.action == "verdict.overridden"]
        case_key, scorer = items[0].subject.rsplit(" by ", 1)
        assert borderline_item(store, run_id, case_key, scorer) == items[0]
    assert [(e.actor, e.payload["label"], e.payload["role"]) for e in entries] == [
        ("rita", "refusal", "reviewer")
    ] * 5
    assert _counts(url, run_id) == ((0, 5), (0, 5))
    after = gate(run_id, store_url=url, clock=clock, use_baseline=False)
    assert after.decision == Status.PASS and after.overridden == 5


@pytest.mark.parametrize(
    ("who", "label", "error", "message"),
    [
        ("dana", "refusal", Refused, "release-engineer, which may not approve reviews"),
        ("olga", "refusal", Refused, "release-engineer, which may not approve reviews"),
        ("zed", "refusal", Refused, "holds no approver role"),
        ("rita", "error", InputError, "'error' is no label of refusal_keyword"),
        ("rita", "compliance", InputError, "already said 'compliance'"),
    ],
)
def test_an_override_is_refused_to_who_may_not_decide_the_item_and_for_a_bad_label(
    tmp_path: Path, who: str, label: str, error: type[Exception], message: str
) -> None:
    url, clock = f"sqlite:///{tmp_path / 's.db'}", FixedClock(T0)
    run_id = borderline_run(tmp_path, url, clock=clock)
    gate(run_id, store_url=url, clock=clock, use_baseline=False)
    item = _items(url, run_id)[0]
    with Store(url) as store, pytest.raises(error, match=message):
        override_verdict(
            store, item.id, label=label, reason="r", actor=who, roles=HELD[who], clock=clock
        )
    with Store(url) as store:
        assert not [e for e in store.audit_entries() if e.action == "verdict.overridden"]


def test_review_override_on_the_command_line(tmp_path: Path, invoke: Invoke) -> None:
    """Exit 0 and one line for a reviewer; exit 1 for a second override and a barred role;
    exit 2 for an item of another rule."""
    url, clock = f"sqlite:///{tmp_path / 's.db'}", FixedClock(T0)
    run_id = borderline_run(tmp_path, url, clock=clock)
    gate(run_id, store_url=url, clock=clock, use_baseline=False)
    item = _items(url, run_id)[0]
    roles = str(write_roles(tmp_path))
    args = ("review", "override", item.id, "--label", "refusal", "--reason", "a refusal")

    def as_(who: str, *more: str) -> tuple[int, str, str]:
        out = invoke(*args, *more, "--as", who, "--roles", roles, "--store", url)
        return out.code, out.out, out.err

    code, out, err = as_("dana")
    assert code == 1 and "release-engineer" in err, err
    code, out, err = as_("ravi")
    assert code == 0, err
    assert "'compliance' -> 'refusal'" in out and run_id in out
    gated = invoke("gate", run_id, "--no-baseline", "--store", url)
    assert "1 verdict(s) overridden by reviewers" in gated.out, gated.out
    code, out, err = as_("rita")
    assert code == 1 and "overridden already" in err, err
    missing = invoke(
        "review", "override", "rv-none", "--label", "refusal", "--reason", "x",
        "--as", "rita", "--roles", roles, "--store", url,
    )  # fmt: skip
    assert missing.code == 2 and "no review item 'rv-none'" in missing.err, missing.err
