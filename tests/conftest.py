"""Shared fixtures for the whole test tree."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import settings
from tests.cli.invoking import Invoke, invoke_main
from tests.doubles.stub_chat_server import StubChatServer
from tests.pg import NoServer, fresh_database

# Property tests check behaviour, not speed: on a loaded 2-core machine a per-example deadline
# fails them at random (speed is measured by bench/).
settings.register_profile("safetyloop", deadline=None)
settings.load_profile("safetyloop")


@pytest.fixture(autouse=True)
def wide_consoles(monkeypatch: pytest.MonkeyPatch) -> None:
    """CLI output as a wide terminal shows it, whatever terminal (or none) runs the tests: a
    console sized at import from the environment would wrap cells under CI's 80 columns."""
    from safetyloop.cli import _common

    for console in (_common.console, _common.err_console):
        monkeypatch.setattr(console, "width", 300)


@pytest.fixture
def invoke(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Invoke:
    """`main()` in-process with the given arguments: exit code and output, as a user sees them
    (every CLI test of every folder runs through it; `tests/cli/invoking.py`)."""
    return invoke_main(monkeypatch, capsys)


@pytest.fixture
def stub_server() -> Iterator[StubChatServer]:
    """A fresh scriptable OpenAI-compatible server on a free loopback port, stopped afterwards."""
    with StubChatServer() as server:
        yield server


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database on 127.0.0.1:5432, dropped afterwards.

    Skipped, with the reason, only when no server answers.
    """
    try:
        with fresh_database() as url:
            yield url
    except NoServer as exc:
        pytest.skip(str(exc))
