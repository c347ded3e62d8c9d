"""The debt ledger: aging thresholds by severity, and every clearing path, checked in the store."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from tests.cli.invoking import Invoke
from tests.constitutions import write_one_principle
from tests.governance.govhelpers import CAREFUL, COMPLIER, ROLES, T0, real_run, write_roles

from safetyloop.api import gate
from safetyloop.errors import InputError, SafetyloopError
from safetyloop.governance import FixedClock
from safetyloop.governance._policy import load_policy
from safetyloop.governance.audit import verify_audit
from safetyloop.governance.debt import (
    age_debt,
    aging_level,
    clear_debt,
    get_debt,
    link_regression_cases,
    list_debt,
    open_debt,
)
from safetyloop.governance.exceptions import request_exception
from safetyloop.governance.reviews import decide
from safetyloop.store import Store


def _open(store: Store, clock: FixedClock, severity: str = "critical", principle: str = "C1"):  # type: ignore[no-untyped-def]
    return open_debt(
        store,
        principle=principle,
        severity=severity,
        description="helps with harmful requests",
        owner="sam",
        evidence={"incident_ids": ["INC-7"]},
        actor="sam",
        clock=clock,
    )


@pytest.mark.parametrize(
    ("severity", "days", "level"),
    [
        ("critical", 13.9, "ok"),
        ("critical", 14, "warn"),
        ("critical", 30, "escalate"),
        ("critical", 45, "block"),
        ("high", 29.9, "ok"),
        ("high", 30, "warn"),
        ("high", 60, "escalate"),
        ("high", 90, "block"),
        ("medium", 60, "warn"),
        ("medium", 90, "escalate"),
        ("medium", 1000, "escalate"),
        ("low", 89.9, "ok"),
        ("low", 90, "warn"),
        ("low", 1000, "warn"),
    ],
)
def test_aging_thresholds_by_severity(
    severity: str, days: float, level: str, tmp_path: Path
) -> None:
    clock = FixedClock(T0)
    with Store(f"sqlite:///{tmp_path / 'd.db'}") as store:
        item = _open(store, clock, severity)
    assert aging_level(item, load_policy(), T0 + timedelta(days=days)) == level


def test_aging_is_recorded_and_audited_once_per_level(tmp_path: Path) -> None:
    clock = FixedClock(T0)
    url = f"sqlite:///{tmp_path / 'd.db'}"
    with Store(url) as store:
        item = _open(store, clock)
        clock.set(T0 + timedelta(days=15))
        [(aged, level)] = age_debt(store, actor="bot", clock=clock)
        assert level == "warn" and aged.aging_level == "warn"
        age_debt(store, actor="bot", clock=clock)  # no change, no entry
        clock.set(T0 + timedelta(days=46))
        age_debt(store, actor="bot", clock=clock)
        aged_entries = [e.payload for e in store.audit_entries() if e.action == "debt.aged"]
    assert aged_entries == [
        {"debt_id": item.id, "from": "ok", "to": "warn"},
        {"debt_id": item.id, "from": "warn", "to": "block"},
    ]
    assert verify_audit(url).ok


def test_a_custom_policy_changes_the_slos(tmp_path: Path) -> None:
    text_ = (Path(load_policy.__code__.co_filename).parent / "data" / "policy.yaml").read_text()
    custom = tmp_path / "policy.yaml"
    custom.write_text(
        text_.replace("{warn: 14, escalate: 30, block: 45}", "{warn: 1, escalate: 2, block: 3}")
    )
    policy = load_policy(custom)
    with Store(f"sqlite:///{tmp_path / 'd.db'}") as store:
        item = _open(store, FixedClock(T0))
    assert aging_level(item, policy, T0 + timedelta(days=3)) == "block"


def test_open_debt_validates_its_input(tmp_path: Path) -> None:
    with Store(f"sqlite:///{tmp_path / 'd.db'}") as store:
        with pytest.raises(InputError, match="severity"):
            _open(store, FixedClock(T0), severity="urgent")
        with pytest.raises(InputError, match="list of strings"):
            open_debt(
                store,
                principle="C1",
                severity="low",
                description="d",
                owner="o",
                evidence={"run_ids": "r1"},
                actor="a",
            )  # type: ignore[dict-item]
        assert list_debt(store) == []


# clearing -------------------------------------------------------------------------------
@pytest.fixture
def ledger(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A store with a BLOCKing run (complier), a passing one (careful) and a linked debt item."""
    url = f"sqlite:///{tmp_path / 'store.db'}"
    clock = FixedClock(T0)
    bad = real_run(tmp_path, url, COMPLIER, clock=clock)
    good = real_run(tmp_path, url, CAREFUL, clock=clock)
    with Store(url) as store:
        keys = [c.key for c in store.run_cases(bad.id)][:2]
        item = _open(store, clock)
        link_regression_cases(
            store,
            item.id,
            suite="harmbench",
            case_ids=[k.split("/", 1)[1] for k in keys],
            actor="sam",
            clock=clock,
        )
    return url, clock, bad, good, item, keys


def test_debt_without_linked_cases_cannot_clear_on_a_run(ledger) -> None:  # type: ignore[no-untyped-def]
    url, clock, _, good, _, _ = ledger
    with Store(url) as store:
        other = _open(store, clock, "high", "C2")
        with pytest.raises(SafetyloopError, match="no linked regression cases"):
            clear_debt(
                store, other.id, run_id=good.id, actor="sam", roles=ROLES["sam"], clock=clock
            )


def test_debt_does_not_clear_when_linked_cases_fail(ledger) -> None:  # type: ignore[no-untyped-def]
    url, clock, bad, _, item, _keys = ledger
    with Store(url) as store:
        with pytest.raises(SafetyloopError, match="2 of 2 linked cases did not pass") as caught:
            clear_debt(store, item.id, run_id=bad.id, actor="sam", roles=ROLES["sam"], clock=clock)
        assert caught.value.exit_code == 1
        assert "says 'compliance'" in caught.value.message
        assert get_debt(store, item.id).status == "open"


def test_debt_clears_when_every_linked_case_passes_on_a_finished_run(ledger) -> None:  # type: ignore[no-untyped-def]
    url, clock, _, good, item, keys = ledger
    with Store(url) as store:
        done = clear_debt(
            store, item.id, run_id=good.id, actor="sam", roles=ROLES["sam"], clock=clock
        )
        assert done.status == "cleared" and done.cleared_by == "sam"
        assert done.clearance is not None and done.clearance["run_id"] == good.id
        assert sorted(done.clearance["cases"]) == sorted(keys)
        with pytest.raises(SafetyloopError, match="already cleared"):
            clear_debt(store, item.id, run_id=good.id, actor="sam", roles=ROLES["sam"], clock=clock)
        actions = [e.action for e in store.audit_entries()]
    assert actions[-3:] == ["debt.opened", "debt.cases_linked", "debt.cleared"]
    assert verify_audit(url).ok


def _sql(url: str, statement: str, **params: str) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text(statement), params)
    engine.dispose()


def test_an_unfinished_run_errors_and_old_scorer_versions_never_clear(ledger) -> None:  # type: ignore[no-untyped-def]
    url, clock, _, good, item, keys = ledger
    _sql(url, "UPDATE runs SET status = 'running' WHERE id = :id", id=good.id)
    with Store(url) as store, pytest.raises(SafetyloopError, match="not finished"):
        clear_debt(store, item.id, run_id=good.id, actor="sam", roles=ROLES["sam"], clock=clock)
    _sql(url, "UPDATE runs SET status = 'finished' WHERE id = :id", id=good.id)
    _sql(
        url,
        "UPDATE results SET status = 'error', error_kind = 'timeout' WHERE run_id = :id "
        "AND case_key = :key",
        id=good.id,
        key=keys[0],
    )
    with Store(url) as store, pytest.raises(SafetyloopError, match="no successful response"):
        clear_debt(store, item.id, run_id=good.id, actor="sam", roles=ROLES["sam"], clock=clock)
    _sql(url, "UPDATE results SET status = 'ok' WHERE run_id = :id", id=good.id)
    _sql(
        url,
        "UPDATE runs SET scorer_versions = :v WHERE id = :id",
        v='{"refusal_keyword": "0ld"}',
        id=good.id,
    )
    with Store(url) as store, pytest.raises(SafetyloopError, match="not scored by the current"):
        clear_debt(store, item.id, run_id=good.id, actor="sam", roles=ROLES["sam"], clock=clock)


def test_debt_clears_on_an_approved_unexpired_risk_acceptance_only(ledger) -> None:  # type: ignore[no-untyped-def]
    url, clock, bad, _, item, _ = ledger
    gate(bad.id, store_url=url, clock=clock, use_baseline=False)
    with Store(url) as store:
        exc, review = request_exception(
            store,
            run_id=bad.id,
            principles=["C1"],
            expires_at=T0 + timedelta(days=10),
            mitigation="guard model",
            reason="launch",
            actor="rita",
            clock=clock,
        )
        with pytest.raises(SafetyloopError, match="pending, not approved"):
            clear_debt(
                store, item.id, acceptance_id=exc.id, actor="sam", roles=ROLES["sam"], clock=clock
            )
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
        other = _open(store, clock, "high", "C2")
        with pytest.raises(SafetyloopError, match="covers C1, not C2"):
            clear_debt(
                store, other.id, acceptance_id=exc.id, actor="sam", roles=ROLES["sam"], clock=clock
            )
        late = FixedClock(T0 + timedelta(days=11))
        with pytest.raises(SafetyloopError, match="expired"):
            clear_debt(
                store, item.id, acceptance_id=exc.id, actor="sam", roles=ROLES["sam"], clock=late
            )
        done = clear_debt(
            store, item.id, acceptance_id=exc.id, actor="sam", roles=ROLES["sam"], clock=clock
        )
        assert done.clearance == {
            "kind": "risk-acceptance",
            "acceptance_id": exc.id,
            "expires_at": (T0 + timedelta(days=10)).isoformat(),
        }
        with pytest.raises(InputError):
            clear_debt(store, item.id, actor="sam", roles=ROLES["sam"])  # neither evidence


def test_the_ledger_on_postgresql(pg_url: str, tmp_path: Path) -> None:
    """Open, link, refuse on a failing run, clear on a passing one — on PostgreSQL."""
    clock = FixedClock(T0)
    bad = real_run(tmp_path, pg_url, COMPLIER, clock=clock)
    good = real_run(tmp_path, pg_url, CAREFUL, clock=clock)
    with Store(pg_url) as store:
        key = store.run_cases(bad.id)[0].key
        item = _open(store, clock)
        link_regression_cases(
            store, item.id, suite="harmbench", case_ids=[key], actor="sam", clock=clock
        )
        with pytest.raises(SafetyloopError, match="1 of 1 linked cases did not pass"):
            clear_debt(store, item.id, run_id=bad.id, actor="sam", roles=ROLES["sam"], clock=clock)
        clock.set(T0 + timedelta(days=45))
        [(_, level)] = age_debt(store, actor="bot", clock=clock)
        assert level == "block"
        done = clear_debt(
            store, item.id, run_id=good.id, actor="sam", roles=ROLES["sam"], clock=clock
        )
        assert done.status == "cleared" and list_debt(store, status="open") == []
    assert verify_audit(pg_url).ok


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            ("--principle", "C1", "--run", "nosuchrun"),
            "error: debt evidence: no run 'nosuchrun' in sqlite:///",
        ),
        (
            ("--principle", "C9"),
            "error: no principle 'C9' in the constitution 'safetyloop-default'",
        ),
    ],
)
def test_debt_add_refuses_a_reference_to_nothing(
    tmp_path: Path, invoke: Invoke, extra: tuple[str, ...], message: str
) -> None:
    """A missing run or principle: exit 2, one line, no debt item and no audit entry."""
    url = f"sqlite:///{tmp_path / 'store.db'}"
    with Store(url):
        pass
    result = invoke(
        "debt", "add", "--severity", "high", "--description", "gap", "--owner", "sam",
        "--as", "sam", "--roles", str(write_roles(tmp_path)), "--store", url, *extra,
    )  # fmt: skip
    assert result.code == 2, result.err
    assert result.err.startswith(message), result.err
    assert len(result.err.strip().splitlines()) == 1, result.err
    with Store(url) as store:
        assert list_debt(store) == []
        assert store.audit_entries() == []


def test_debt_add_knows_the_principles_of_the_runs_it_names(tmp_path: Path, invoke: Invoke) -> None:
    """A principle of a named run's recorded constitution exists, even if the shipped one lacks
    it; the run is stored by its full id, whatever prefix was given."""
    url = f"sqlite:///{tmp_path / 'store.db'}"
    own = write_one_principle(tmp_path, "own", min_samples=4)
    own.write_text(own.read_text(encoding="utf-8").replace("id: C1", "id: X1"), encoding="utf-8")
    run = real_run(tmp_path, url, CAREFUL, clock=FixedClock(T0))
    result = invoke(
        "debt", "add", "--principle", "X1", "--severity", "high", "--description", "gap",
        "--owner", "sam", "--as", "sam", "--roles", str(write_roles(tmp_path)), "--store", url,
        "--run", run.id[:6],
    )  # fmt: skip
    assert result.code == 0, result.err
    with Store(url) as store:
        (item,) = list_debt(store)
    assert item.evidence["run_ids"] == [run.id]
