"""Running `safetyloop` in process, as CI would run the script: exit code, stdout and stderr.

`invoke_main` (the `invoke` fixture) calls the same `main()` entry point the console script
does, with SAFETYLOOP_* variables cleared (the consoles are wide for every test:
`tests/conftest.py`), so tests read exactly what a user would see. `invoke_once` does the same
for fixtures shared by a module, which cannot use the per-test `capsys` and `monkeypatch`.
Only what needs a real process (the installed console script, signals) starts one.
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Callable
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import pytest

from safetyloop.cli import _common, main


@dataclass(frozen=True)
class Invoked:
    code: int
    out: str
    err: str

    @property
    def flat_err(self) -> str:
        """stderr with whitespace collapsed, so Rich's line wrapping never breaks a match."""
        return " ".join(self.err.split())

    @property
    def flat(self) -> tuple[int, str, str]:
        """(code, stdout, `flat_err`), to unpack in one line."""
        return self.code, self.out, self.flat_err


Invoke = Callable[..., Invoked]


def _exit_code(exited: pytest.ExceptionInfo[SystemExit]) -> int:
    code = exited.value.code
    return code if isinstance(code, int) else 1


def invoke_main(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Invoke:
    """A function running `main()` in-process with the given arguments."""
    for key in list(os.environ):
        if key.startswith("SAFETYLOOP_"):
            monkeypatch.delenv(key)

    def run(*args: str) -> Invoked:
        monkeypatch.setattr(sys, "argv", ["safetyloop", *args])
        capsys.readouterr()
        with pytest.raises(SystemExit) as exited:
            main()
        out, err = capsys.readouterr()
        return Invoked(_exit_code(exited), out, err)

    return run


def invoke_once(*args: str, cwd: Path, env: dict[str, str] | None = None) -> Invoked:
    """`main()` in-process in folder `cwd`, for a fixture of any scope: SAFETYLOOP_* variables
    cleared (then `env` set), wide consoles, output captured; everything is restored
    afterwards."""
    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as patch:
        for key in list(os.environ):
            if key.startswith("SAFETYLOOP_"):
                patch.delenv(key)
        for key, value in (env or {}).items():
            patch.setenv(key, value)
        for console in (_common.console, _common.err_console):
            patch.setattr(console, "width", 300)
        patch.setattr(sys, "argv", ["safetyloop", *args])
        patch.chdir(cwd)
        with redirect_stdout(out), redirect_stderr(err), pytest.raises(SystemExit) as exited:
            main()
    return Invoked(_exit_code(exited), out.getvalue(), err.getvalue())
