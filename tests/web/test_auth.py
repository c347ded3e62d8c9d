"""Sign-in, sessions, CSRF and tokens, in process: nothing is shown or changed without them."""

from __future__ import annotations

from collections.abc import Callable

from tests.web.conftest import Browser
from tests.web.console_project import PASSWORD, ConsoleProject


def test_no_page_is_shown_without_signing_in(
    project: ConsoleProject, as_user: Callable[[str | None], Browser]
) -> None:
    anon = as_user(None).client
    key = "harmbench/"
    pages = [
        "/runs",
        f"/runs/{project.bad.id}",
        f"/runs/{project.bad.id}/gate",
        "/reviews",
        "/audit",
        "/debt",
        "/incidents",
    ]
    for path in pages:
        html = anon.get(path, follow_redirects=False)
        assert html.status_code == 303 and html.headers["location"].startswith("/login?next=")
        twin = anon.get(f"{path}.json")
        assert twin.status_code == 401
        assert twin.json()["error"]["message"] == "sign in to see this page"
    case = anon.get(f"/runs/{project.bad.id}/case.json", params={"key": key + "x"})
    assert case.status_code == 401 and "messages" not in case.text


def test_a_wrong_password_is_refused_and_a_right_one_opens_a_session(
    as_user: Callable[[str | None], Browser],
) -> None:
    b = as_user(None)
    wrong = b.post("/login", {"name": "rita", "password": "not it"})
    assert wrong.status_code == 401 and "Wrong name or password" in wrong.text
    unknown = b.post("/login", {"name": "nobody", "password": PASSWORD})
    assert unknown.status_code == 401
    right = b.post("/login", {"name": "rita", "password": PASSWORD, "next": "//evil.example"})
    assert right.status_code == 303 and right.headers["location"] == "/runs"  # no open redirect
    cookie = right.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    assert b.client.get("/me.json").json() == {
        "user": "rita",
        "roles": ["reviewer"],
        "read_only": False,
    }


def test_signing_in_without_the_csrf_token_is_403(as_user: Callable[[str | None], Browser]) -> None:
    b = as_user(None)
    refused = b.post("/login", {"name": "rita", "password": PASSWORD}, csrf=False)
    assert refused.status_code == 403 and "CSRF" in refused.text


def test_a_mutation_without_the_csrf_token_is_403_and_changes_nothing(
    project: ConsoleProject, as_user: Callable[[str | None], Browser]
) -> None:
    item = project.hold("csrf check")
    rita = as_user("rita")
    refused = rita.post(f"/reviews/{item}/approve", {"reason": "looks fine"}, csrf=False)
    assert refused.status_code == 403 and "CSRF token is missing" in refused.text
    forged = rita.client.post(f"/reviews/{item}/approve", data={"reason": "x", "csrf": "forged"})
    assert forged.status_code == 403
    assert rita.client.get(f"/reviews/{item}.json").json()["item"]["signatures"] == []


def test_a_machine_token_reads_and_acts_without_a_cookie(project: ConsoleProject) -> None:
    from fastapi.testclient import TestClient

    from safetyloop.web import create_app

    with TestClient(create_app(project.config())) as bot:
        assert bot.get("/runs.json").status_code == 401
        bad = bot.get("/runs.json", headers={"Authorization": "Bearer wrong"})
        assert bad.status_code == 401
        auth = {"Authorization": f"Bearer {project.token}"}
        runs = bot.get("/runs.json", headers=auth).json()
        assert {r["run"]["id"] for r in runs["runs"]} >= {project.good.id, project.bad.id}
        # ci-bot is not in the roles file: read-only, even with a valid token.
        item = project.hold("token check")
        refused = bot.post(f"/reviews/{item}/approve", data={"reason": "x"}, headers=auth)
        assert refused.status_code == 403
        assert refused.json()["error"]["message"] == "ci-bot is read-only: not in the roles file"
