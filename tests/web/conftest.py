"""The console tests' one project (built once per session: two real runs and their gates) and
signed-in in-process clients. Tests that change state queue their own review items."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.web.console_project import PASSWORD, ConsoleProject, build

from safetyloop.web import create_app


@pytest.fixture(scope="session")
def project(tmp_path_factory: pytest.TempPathFactory) -> ConsoleProject:
    return build(tmp_path_factory.mktemp("console"))


def csrf_of(html: str) -> str:
    """The CSRF token a page's forms carry."""
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "the page has no CSRF field"
    return found.group(1)


class Browser:
    """An in-process client signed in as one user, keeping its session's CSRF token."""

    def __init__(self, client: TestClient, user: str | None) -> None:
        self.client = client
        self.csrf = csrf_of(client.get("/login").text)
        if user is not None:
            done = client.post(
                "/login",
                data={"name": user, "password": PASSWORD, "csrf": self.csrf},
                follow_redirects=False,
            )
            assert done.status_code == 303, done.text
            self.csrf = csrf_of(client.get("/me").text)

    def post(self, path: str, data: dict[str, str] | None = None, *, csrf: bool = True) -> Any:
        form = {**(data or {}), **({"csrf": self.csrf} if csrf else {})}
        return self.client.post(path, data=form, follow_redirects=False)


@pytest.fixture(scope="session")
def app_client(project: ConsoleProject) -> Iterator[Callable[[], TestClient]]:
    app = create_app(project.config())
    clients: list[TestClient] = []

    def fresh() -> TestClient:
        clients.append(TestClient(app))
        return clients[-1]

    yield fresh
    for c in clients:
        c.close()


@pytest.fixture(scope="session")
def as_user(app_client: Callable[[], TestClient]) -> Callable[[str | None], Browser]:
    """`as_user("rita")`: a fresh session signed in as rita (None: not signed in)."""
    return lambda user: Browser(app_client(), user)
