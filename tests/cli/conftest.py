"""Fixtures of the CLI tests."""

from __future__ import annotations

import pytest
from tests.cli.invoking import Invoke, invoke_main


@pytest.fixture
def invoke(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Invoke:
    """`main()` in-process with the given arguments; returns its exit code and output."""
    return invoke_main(monkeypatch, capsys)
