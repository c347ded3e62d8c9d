"""Signing in and out is audited with the user; a name with 5 failed sign-ins in 15 minutes is
refused (429) even with its right password, audited once, and not the other names."""

from __future__ import annotations

from fastapi.testclient import TestClient
from tests.web.conftest import Browser, csrf_of
from tests.web.console_project import PASSWORD, ConsoleProject

from safetyloop.store import Store
from safetyloop.web import create_app
from safetyloop.web._throttle import SignInThrottle


def _actions(project: ConsoleProject, since: int) -> list[tuple[str, str]]:
    with Store(project.url) as store:
        return [(e.actor, e.action) for e in store.audit_entries() if e.seq > since]


def _head(project: ConsoleProject) -> int:
    with Store(project.url) as store:
        return max((e.seq for e in store.audit_entries()), default=0)


def test_sign_in_and_out_are_audited_and_failures_are_throttled(project: ConsoleProject) -> None:
    start = _head(project)
    with TestClient(create_app(project.config())) as client:
        lee = Browser(client, "lee")
        assert lee.post("/logout").status_code == 303
        anonymous = Browser(client, None)
        for _ in range(5):
            wrong = anonymous.post("/login", {"name": "sam", "password": "not it"})
            assert wrong.status_code == 401
        right = anonymous.post("/login", {"name": "sam", "password": PASSWORD})
        assert right.status_code == 429 and "Too many failed sign-ins" in right.text
        other = anonymous.post("/login", {"name": "pat", "password": PASSWORD})
        assert other.status_code == 303
        assert csrf_of(client.get("/me").text)
    assert _actions(project, start) == [
        ("lee", "console.signed_in"),
        ("lee", "console.signed_out"),
        ("sam", "console.sign_in_throttled"),
        ("pat", "console.signed_in"),
    ]


def test_the_throttle_forgets_failures_older_than_its_window() -> None:
    throttle = SignInThrottle(limit=2, window_s=60)
    throttle.failed("sam", now=0)
    throttle.failed("sam", now=10)
    assert throttle.wait_s("sam", now=20) == 40 and throttle.wait_s("pat", now=20) == 0
    assert throttle.wait_s("sam", now=60) == 0  # the first failure left the window
    throttle.failed("sam", now=61)
    assert throttle.wait_s("sam", now=61) == 9
    throttle.succeeded("sam")
    assert throttle.wait_s("sam", now=61) == 0
