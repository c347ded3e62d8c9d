"""Every command of the Typer app, swept: usage errors exit 2 on one line, user text is text.

The commands are read from the app itself, so a command added later is swept too. For each:
an unknown option exits 2 with one `error:` line and no traceback (CI must never read a usage
mistake as a BLOCK, exit 1); and text with Rich markup characters given as every positional
argument is printed as it is, never parsed as markup (no crash, nothing swallowed).
"""

from __future__ import annotations

import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from tests.cli.invoking import Invoke

from safetyloop.cli._main import app

MARKUP = "zz[/]x[bold]"


def _commands(command: Any, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], Any]]:
    """(command path, command) for every leaf command under `command`."""
    subcommands = getattr(command, "commands", None)
    if subcommands is None:
        yield path, command
        return
    for name, sub in sorted(subcommands.items()):
        yield from _commands(sub, (*path, name))


COMMANDS = dict(_commands(typer.main.get_command(app), ()))


def test_the_sweep_sees_every_command_group() -> None:
    groups = {path[0] for path in COMMANDS}
    assert {"gate", "run", "validate", "plan", "debt", "review", "incident", "redteam"} <= groups
    assert ("debt", "clear") in COMMANDS and ("incident", "close") in COMMANDS


@pytest.mark.parametrize("path", sorted(COMMANDS), ids=" ".join)
def test_an_unknown_option_exits_2_on_one_line(
    path: tuple[str, ...], invoke: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = invoke(*path, "--no-such-option")
    assert result.code == 2, (result.out, result.err)
    assert "Traceback" not in result.err + result.out
    (line,) = result.err.strip().splitlines()
    assert line.startswith("error: No such option: --no-such-option")
    assert line.endswith(f"(see `safetyloop {' '.join(path)} --help`)")
    assert list(tmp_path.iterdir()) == []  # nothing created


def _numeric(option: Any) -> bool:
    """Whether the option takes an int or a float (`int`, `int | None`, ...)."""
    annotation = option.type_descriptor.annotation
    kinds = {annotation, *typing.get_args(annotation)}
    return bool(kinds & {int, float}) and bool not in kinds


NUMERIC = [
    (path, option.opts[0])
    for path in sorted(COMMANDS)
    for option in COMMANDS[path].params
    if option.param_type_name == "option" and _numeric(option)
]


def test_the_sweep_sees_numeric_options() -> None:
    assert (("run",), "--sample") in NUMERIC and (("plan",), "--power") in NUMERIC


@pytest.mark.parametrize(
    ("path", "option"), NUMERIC, ids=lambda x: " ".join(x) if isinstance(x, tuple) else x
)
def test_a_malformed_number_exits_2_on_one_line(
    path: tuple[str, ...],
    option: str,
    invoke: Invoke,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    result = invoke(*path, option, "not-a-number")
    assert result.code == 2, (result.out, result.err)
    (line,) = result.err.strip().splitlines()
    assert line.startswith(f"error: Invalid value for '{option}'")
    assert list(tmp_path.iterdir()) == []


def _arguments(path: tuple[str, ...]) -> list[str]:
    """MARKUP for each positional argument of the command (none: the command has none)."""
    params = COMMANDS[path].params
    return [MARKUP for p in params if p.param_type_name == "argument"]


WITH_ARGUMENTS = [path for path in sorted(COMMANDS) if _arguments(path)]


@pytest.mark.parametrize("path", WITH_ARGUMENTS, ids=" ".join)
def test_markup_in_arguments_is_printed_verbatim(
    path: tuple[str, ...], invoke: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever the command says about the text it was given, it says it as text."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SAFETYLOOP_STORE_URL", f"sqlite:///{tmp_path / 'store.db'}")
    result = invoke(*path, *_arguments(path))
    said = result.out + result.err
    assert "Traceback" not in said and "MarkupError" not in said
    assert result.code in (0, 1, 2), said
    if "zz" in said:
        assert MARKUP in " ".join(said.split()) or MARKUP in said, said
