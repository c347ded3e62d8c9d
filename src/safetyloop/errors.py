"""The one error root: every failure a user can act on is a `SafetyloopError`.

The CLI prints `message` and `hint` without a traceback and exits with `exit_code`.
"""

from __future__ import annotations


class SafetyloopError(Exception):
    """A failure with a plain-text message, an optional hint and the exit code it maps to."""

    exit_code: int = 1

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class InputError(SafetyloopError):
    """Bad input from the user (a file, a flag, a reference): exit code 2, nothing run."""

    exit_code = 2


class ConfigError(InputError):
    """An invalid constitution, suite or target file. `problems` lists every issue found."""

    def __init__(self, message: str, problems: list[str] | None = None, hint: str | None = None):
        super().__init__(message, hint)
        self.problems = problems or []


class PluginError(InputError):
    """A registered name whose plugin cannot be used: it failed to import, loaded the wrong kind
    of object, or claims a name already taken. Only lookups of that name raise it."""


class StorageError(SafetyloopError):
    """The store could not read or write persistent state."""
