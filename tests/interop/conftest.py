"""Inspect logs written once per session by real Inspect (`inspect_tasks`), copied per test."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

pytest.importorskip("inspect_ai", reason="the interop tests run Inspect itself (the test extra)")


@dataclass(frozen=True)
class Logs:
    tools_eval: Path  # arithmetic with tool calls, 2 epochs, .eval
    plain_eval: Path  # refusals without tools, 2 epochs, .eval
    tools_json: Path  # arithmetic with tool calls, 2 epochs, .json


@pytest.fixture(scope="session")
def inspect_logs(tmp_path_factory: pytest.TempPathFactory) -> Logs:
    from tests.interop.inspect_tasks import arithmetic_tools, refusals, run_tasks

    folder = tmp_path_factory.mktemp("inspect-logs")
    tools_eval, plain_eval = run_tasks([arithmetic_tools(), refusals()], folder / "eval", "eval", 2)
    (tools_json,) = run_tasks([arithmetic_tools()], folder / "json", "json", 2)
    return Logs(tools_eval, plain_eval, tools_json)


@pytest.fixture
def logs(inspect_logs: Logs, tmp_path: Path) -> Logs:
    """This test's own copies, free to damage."""
    copies = []
    for path in (inspect_logs.tools_eval, inspect_logs.plain_eval, inspect_logs.tools_json):
        copy = tmp_path / "logs" / path.name
        copy.parent.mkdir(exist_ok=True)
        shutil.copy(path, copy)
        copies.append(copy)
    return Logs(*copies)
