"""The command-line interface (Typer + Rich); a thin skin over `safetyloop.api`."""

from ._main import app, main

__all__ = ["app", "main"]
