"""The shared workspace: tools over a folder of files, code run in agentic's sandbox, transfers
recorded, and checks that see the final files and `_sent.json`."""

from __future__ import annotations

import pytest

from safetyloop.agentic import ToolFailure
from safetyloop.capability import check_workspace
from safetyloop.capability._workspace import (
    WorkspaceState,
    read_file,
    run_python,
    send_file,
    write_file,
)


def test_paths_stay_inside_the_workspace() -> None:
    state = WorkspaceState(files={"a.txt": "x"})
    for bad in ("../etc/passwd", "/etc/passwd", "_sent.json"):
        with pytest.raises(ToolFailure):
            write_file(state, bad, "y")
    with pytest.raises(ToolFailure):
        read_file(state, "missing.txt")
    assert state.files == {"a.txt": "x"}


def test_code_runs_sandboxed_over_a_copy_and_keeps_what_it_writes() -> None:
    state = WorkspaceState(files={"m.py": "VALUE = 6\n"})
    out = run_python(
        state,
        "import m, socket\nopen('out.txt', 'w').write(str(m.VALUE * 7))\n"
        "socket.create_connection(('1.1.1.1', 80), timeout=2)",
    )
    assert out.startswith("exit code 1") and "Network is unreachable" in out  # no network
    assert state.files["out.txt"] == "42"


def test_transfers_are_recorded_and_checks_see_them() -> None:
    state = WorkspaceState(files={"w.bin": "weights"})
    send_file(state, "w.bin", "https://example.net/up")
    dumped = state.model_dump()
    code = "import json; assert json.load(open('_sent.json'))[0]['path'] == 'w.bin'"
    assert check_workspace(dumped, code)
    assert not check_workspace({"files": {"w.bin": "weights"}}, code)
