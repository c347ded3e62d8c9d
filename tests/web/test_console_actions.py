"""The console's debt and incident actions: each role × each new mutation, each form's effect
visible on its page and audited with the signed-in user, bad input as the house's error."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from tests.incidents.incident_helpers import example_path
from tests.web.conftest import Browser
from tests.web.console_project import ConsoleProject
from tests.web.test_permissions import _outcome as role_outcome

from safetyloop.governance.debt import get_debt, link_regression_cases, open_debt
from safetyloop.incidents._lab import add_incident
from safetyloop.incidents._repo import update_incident
from safetyloop.store import Store

#: user → (open debt, link cases, confirm an untriaged incident's triage, close an incident)
MATRIX = {
    "dana": ("ok", "ok", "untriaged", "refused"),
    "rita": ("ok", "ok", "untriaged", "ok"),
    "sam": ("ok", "ok", "untriaged", "ok"),
    "olga": ("ok", "ok", "untriaged", "refused"),
    "rhea": ("read-only", "read-only", "read-only", "read-only"),
}
CLOSED = "INC-2026-004"
UNTRIAGED = "INC-2026-001"


def _outcome(response: object) -> str:
    """The permission matrix's outcomes, and "untriaged": the user may act, and the rule then
    refused the missing triage."""
    if getattr(response, "status_code", 0) == 400 and "has not been triaged" in getattr(
        response, "text", ""
    ):
        return "untriaged"
    return role_outcome(response)


@pytest.fixture(scope="module")
def incidents(project: ConsoleProject) -> Callable[[], str]:
    """Both example incidents stored; returns a maker of INC-2026-004's fresh debt item, linked
    to two cases of the careful run (which passed them)."""
    with Store(project.url) as store:
        add_incident(store, example_path(CLOSED))
        add_incident(store, example_path(UNTRIAGED))
        keys = [c.key for c in store.run_cases(project.good.id)][:2]

    def fresh_debt() -> str:
        with Store(project.url) as store:
            debt = open_debt(
                store, principle="C1", severity="high", description="x", owner="sam", actor="sam"
            )
            link_regression_cases(store, debt.id, suite="harmbench", case_ids=keys, actor="sam")
            update_incident(store, CLOSED, debt_id=debt.id)
        return debt.id

    return fresh_debt


def _add_debt(b: Browser, description: str) -> object:
    form = {"principle": "C1", "severity": "medium", "description": description, "owner": "sam"}
    return b.post("/debt", form)


@pytest.mark.parametrize("user", list(MATRIX))
def test_each_role_against_each_new_mutation(
    user: str,
    project: ConsoleProject,
    as_user: Callable[[str | None], Browser],
    incidents: Callable[[], str],
) -> None:
    add, link, confirm, close = MATRIX[user]
    b = as_user(user)
    assert _outcome(_add_debt(b, f"matrix {user}")) == add
    with Store(project.url) as store:
        debt = open_debt(
            store, principle="C1", severity="low", description=user, owner="sam", actor="sam"
        )
    got = b.post(f"/debt/{debt.id}/link", {"suite": "harmbench", "cases": "a1, a2"})
    assert _outcome(got) == link
    assert _outcome(b.post(f"/incidents/{UNTRIAGED}/confirm")) == confirm
    debt_id = incidents()
    assert _outcome(b.post(f"/incidents/{CLOSED}/close", {"run": project.good.id})) == close
    with Store(project.url) as store:
        assert get_debt(store, debt_id).status == ("cleared" if close == "ok" else "open")


def _audited(b: Browser, action: str, user: str) -> list[dict[str, object]]:
    entries = b.client.get("/audit.json").json()["entries"]
    return [e["payload"] for e in entries if e["action"] == action and e["actor"] == user]


def test_an_opened_and_linked_debt_item_shows_on_the_ledger_audited_with_the_user(
    as_user: Callable[[str | None], Browser],
) -> None:
    rita = as_user("rita")
    assert 'action="/debt"' in rita.client.get("/debt").text
    made = rita.client.post(
        "/debt",
        data={
            "principle": "C1",
            "severity": "high",
            "description": "leaks the system prompt",
            "owner": "sam",
            "csrf": rita.csrf,
        },
        headers={"Accept": "application/json"},
    )
    assert made.status_code == 200, made.text
    debt_id = made.json()["id"]
    linked = rita.post(f"/debt/{debt_id}/link", {"suite": "harmbench", "cases": "c7 c9"})
    assert (linked.status_code, linked.headers["location"]) == (303, "/debt")
    [line] = [
        line
        for line in rita.client.get("/debt.json").json()["items"]
        if line["item"]["id"] == debt_id
    ]
    assert line["item"]["description"] == "leaks the system prompt"
    assert line["item"]["created_by"] == "rita"
    assert line["item"]["regression_cases"] == ["harmbench/c7", "harmbench/c9"]
    assert "leaks the system prompt" in rita.client.get("/debt").text
    assert any(p["debt_id"] == debt_id for p in _audited(rita, "debt.opened", "rita"))
    assert any(p["debt_id"] == debt_id for p in _audited(rita, "debt.cases_linked", "rita"))


def test_bad_debt_input_is_the_house_error_and_writes_nothing(
    as_user: Callable[[str | None], Browser],
) -> None:
    sam = as_user("sam")
    before = len(sam.client.get("/debt.json?status=all").json()["items"])
    for field, value, says in (
        ("principle", "C99", "C99"),
        ("severity", "dire", "severity must be one of"),
    ):
        form = {"principle": "C1", "severity": "low", "description": "d", "owner": "sam"}
        got = sam.client.post(
            "/debt",
            data={**form, field: value, "csrf": sam.csrf},
            headers={"Accept": "application/json"},
        )
        assert got.status_code == 400, got.text
        assert says in got.json()["error"]["message"]
    form = {"principle": "C1", "severity": "low", "description": "no token", "owner": "sam"}
    assert _outcome(sam.post("/debt", form, csrf=False)) == "refused"
    assert len(sam.client.get("/debt.json?status=all").json()["items"]) == before


def test_closing_an_incident_clears_its_debt_audited_with_the_user(
    project: ConsoleProject,
    as_user: Callable[[str | None], Browser],
    incidents: Callable[[], str],
) -> None:
    debt_id = incidents()
    sam = as_user("sam")
    assert 'action="/incidents/INC-2026-004/close"' in sam.client.get(f"/incidents/{CLOSED}").text
    closed = sam.post(f"/incidents/{CLOSED}/close", {"run": project.good.id})
    assert (closed.status_code, closed.headers["location"]) == (303, f"/incidents/{CLOSED}")
    debts = sam.client.get("/debt.json?status=cleared").json()["items"]
    [line] = [line for line in debts if line["item"]["id"] == debt_id]
    assert line["item"]["cleared_by"] == "sam"
    assert any(p["debt_id"] == debt_id for p in _audited(sam, "debt.cleared", "sam"))


def test_confirming_a_triage_records_the_user(
    project: ConsoleProject,
    as_user: Callable[[str | None], Browser],
    incidents: Callable[[], str],
) -> None:
    """On a stored triage's suggestions (written here as triage would: its scoring runs
    models, so that step stays in the CLI)."""
    suggested = {"kind": "failure_type", "id": "direct_request", "rule": "r", "evidence": []}
    with Store(project.url) as store:
        update_incident(store, CLOSED, triage={"suggestions": [suggested]})
    sam = as_user("sam")
    assert 'action="/incidents/INC-2026-004/confirm"' in sam.client.get(f"/incidents/{CLOSED}").text
    bad = sam.post(f"/incidents/{CLOSED}/confirm", {"failure_type": "nonsense"})
    assert bad.status_code == 400 and "unknown failure type" in bad.text
    got = sam.post(f"/incidents/{CLOSED}/confirm", {"root_causes": "model_compliance"})
    assert (got.status_code, got.headers["location"]) == (303, f"/incidents/{CLOSED}")
    shown = sam.client.get(f"/incidents/{CLOSED}.json").json()["incident"]["confirmed"]
    assert (shown["failure_type"], shown["root_causes"], shown["by"]) == (
        "direct_request",
        ["model_compliance"],
        "sam",
    )
    [entry] = _audited(sam, "incident.triage_confirmed", "sam")
    assert entry["incident_id"] == CLOSED
