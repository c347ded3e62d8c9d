"""schemathesis over the console's OpenAPI schema: no 5xx for anyone, no mutation without a
signed-in user with a role (kept small: two generated cases an operation)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from tests.web.console_project import ConsoleProject

from safetyloop.web import create_app

schemathesis = pytest.importorskip("schemathesis")

EXAMPLES = settings(
    max_examples=2, deadline=None, suppress_health_check=list(HealthCheck), database=None
)


def _each_operation(project: ConsoleProject, check: Callable[[Any], None]) -> int:
    """Run `check` on generated cases of every operation the schema lists; how many there are."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(project.config()))
    operations = [result.ok() for result in schema.get_all_operations()]
    for operation in operations:
        EXAMPLES(given(case=operation.as_strategy())(lambda case: check(case)))()
    return len(operations)


#: POSTs that change nothing: signing in and out, and verifying the audit chain.
_READS = ("/login", "/logout", "/audit/verify")


def _mutates(case: Any) -> bool:
    return bool(case.method.upper() != "GET" and case.path not in _READS)


def test_nobody_signed_in_gets_no_5xx_and_changes_nothing(project: ConsoleProject) -> None:
    def check(case: Any) -> None:
        response = case.call()
        assert response.status_code < 500, (case.path, response.text[:300])
        if _mutates(case):
            assert response.status_code in (401, 403, 422), (case.path, response.status_code)

    assert _each_operation(project, check) > 20


def test_a_read_only_token_gets_no_5xx_and_changes_nothing(project: ConsoleProject) -> None:
    auth = {"Authorization": f"Bearer {project.token}"}

    def check(case: Any) -> None:
        response = case.call(headers=auth)
        assert response.status_code < 500, (case.path, response.text[:300])
        if _mutates(case):
            assert response.status_code in (400, 403, 422), (case.path, response.status_code)

    _each_operation(project, check)
