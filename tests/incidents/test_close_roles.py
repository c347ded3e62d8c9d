"""`incident close` ends an incident's debt, so it checks who acts exactly as `debt clear` does:
an approver role passes, a forbidden or missing role is refused (exit 1) and an actor outside the
roles file too (exit 2), each before anything changes."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.cli.invoking import Invoke
from tests.constitutions import write_one_principle
from tests.governance.govhelpers import CAREFUL, T0, real_run, write_roles
from tests.incidents.incident_helpers import example_path

from safetyloop.errors import SafetyloopError
from safetyloop.governance import FixedClock
from safetyloop.governance.debt import get_debt, link_regression_cases, open_debt
from safetyloop.incidents._lab import add_incident, close_incident
from safetyloop.incidents._repo import update_incident
from safetyloop.store import Store


def test_only_an_approver_role_closes_an_incident(
    tmp_path: Path, store_url: str, invoke: Invoke
) -> None:
    write_one_principle(tmp_path, "close", min_samples=5)
    roles = write_roles(tmp_path)
    with roles.open("a", encoding="utf-8") as more:
        more.write("tom: [team-lead]\n")
    good = real_run(tmp_path, store_url, CAREFUL, clock=FixedClock(T0))
    with Store(store_url) as store:
        add_incident(store, example_path("INC-2026-004"))
        debt = open_debt(
            store,
            principle="C1",
            severity="critical",
            description="role-play phishing",
            owner="sam",
            actor="sam",
        )
        keys = [c.key for c in store.run_cases(good.id)][:2]
        link_regression_cases(store, debt.id, suite="harmbench", case_ids=keys, actor="sam")
        update_incident(store, "INC-2026-004", debt_id=debt.id)
    close = ["incident", "close", "INC-2026-004", "--run", good.id, "--roles", str(roles)]
    close += ["--store", store_url]
    for who, code, why in (
        ("dana", 1, "dana holds the role release-engineer, which may not clear debt"),
        ("tom", 1, "tom holds no approver role"),
        ("zed", 2, "unknown actor 'zed'"),
    ):
        refused = invoke(*close, "--as", who)
        assert (refused.code, why in refused.flat_err) == (code, True), refused.flat_err
    with Store(store_url) as store:
        assert get_debt(store, debt.id).status == "open"
        # The Python call is held to the same check.
        with pytest.raises(SafetyloopError, match="release-engineer"):
            close_incident(store, "INC-2026-004", good.id, actor="dana", roles=["release-engineer"])
    closed = invoke(*close, "--as", "sam")
    assert closed.code == 0, closed.err
    assert f"debt {debt.id} of INC-2026-004: cleared on run {good.id}" in closed.out
    with Store(store_url) as store:
        assert get_debt(store, debt.id).cleared_by == "sam"
