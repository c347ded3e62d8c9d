"""Running `safetyloop` in process, as CI would run the script: exit code, stdout and stderr.

`invoke_main` calls the same `main()` entry point the console script does, with SAFETYLOOP_*
variables cleared (the consoles are wide for every test: `tests/conftest.py`), so tests read
exactly what a user would see.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from safetyloop.cli import main


@dataclass(frozen=True)
class Invoked:
    code: int
    out: str
    err: str

    @property
    def flat_err(self) -> str:
        """stderr with whitespace collapsed, so Rich's line wrapping never breaks a match."""
        return " ".join(self.err.split())


Invoke = Callable[..., Invoked]


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
        code = exited.value.code
        return Invoked(code if isinstance(code, int) else 1, out, err)

    return run
