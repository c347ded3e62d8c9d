"""The docs stay true: every `safetyloop ...` command and option they show exists, and every
SAFETYLOOP_* variable the code reads is documented.

Commands are read from code (inline spans and fenced blocks) in README.md and docs/*.md: after
`safetyloop`, words name a command path in the Typer app as far as they match, and every
`--option` (or `-o`) after them must be one of that command's options. `a\\|b` in a table cell
(`review list\\|show`) names each alternative.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import typer

from safetyloop.cli import app

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

_FENCE = re.compile(r"^```.*?^```", re.DOTALL | re.MULTILINE)
_SPAN = re.compile(r"`([^`\n]+)`")
# `safetyloop` as a program (not `safetyloop.api`), up to where a shell command ends.
_COMMAND = re.compile(r"(?:^|[\s/$(])safetyloop((?:[ \t]+[^\s|;&`)#]+)*)")
_OPTION = re.compile(r"^(--?[A-Za-z][\w-]*)")
_OR = "\N{BROKEN BAR}"  # stands for a table's escaped `\\|` between alternatives


def _code(text: str) -> list[str]:
    """The lines of fenced blocks and the inline code spans of a markdown text."""
    blocks = [line for block in _FENCE.findall(text) for line in block.splitlines()[1:-1]]
    prose = _FENCE.sub("", text)
    return blocks + _SPAN.findall(prose)


def _mentions() -> list[tuple[str, list[str]]]:
    """(file:line-ish label, words after `safetyloop`) for every command shown in the docs."""
    found = []
    for path in DOCS:
        text = path.read_text(encoding="utf-8")
        for code in _code(text):
            for match in _COMMAND.finditer(code.replace("\\|", _OR)):
                words = match.group(1).split()
                where = f"{path.relative_to(ROOT)}: {code.strip()}"
                at = next((i for i, w in enumerate(words) if _OR in w), None)
                if at is None:
                    found.append((where, words))
                    continue
                for alternative in words[at].split(_OR):
                    found.append((where, [*words[:at], alternative, *words[at + 1 :]]))
    return found


def _subcommands(command: Any) -> dict[str, Any] | None:
    """A group's commands by name; None for a command (Typer's Click is duck-typed here)."""
    commands = getattr(command, "commands", None)
    return commands if isinstance(commands, dict) else None


@cache
def _root() -> Any:
    return typer.main.get_command(app)


def _resolve(words: list[str]) -> tuple[Any, list[str], list[str]]:
    """The command the words name, the path taken, and the words left after it."""
    command: Any = _root()
    path: list[str] = []
    rest = list(words)
    while (subs := _subcommands(command)) is not None and rest and not rest[0].startswith("-"):
        sub = subs.get(rest[0])
        if sub is None:
            break
        command, path = sub, [*path, rest.pop(0)]
    return command, path, rest


def _options(command: Any) -> set[str]:
    """Every spelling of the command's options, `--help` included."""
    names = {"--help"}
    for param in command.params:
        if getattr(param, "param_type_name", "") == "option":
            names.update(param.opts)
            names.update(param.secondary_opts)
    return names


MENTIONS = _mentions()


def test_the_docs_show_commands() -> None:
    """The reader below reads something: a change of format must not make it vacuous."""
    assert len(MENTIONS) > 50
    assert {tuple(words[:1]) for _, words in MENTIONS} >= {("run",), ("gate",), ("incident",)}


@pytest.mark.parametrize(("where", "words"), MENTIONS, ids=[w for w, _ in MENTIONS])
def test_every_command_and_option_in_the_docs_exists(where: str, words: list[str]) -> None:
    command, path, rest = _resolve(words)
    if not words or words[0].startswith("-"):
        assert not words or words[0] in _options(command), f"{where}: no option {words[0]}"
        return
    assert path, f"{where}: no command {words[0]!r}"
    if (subs := _subcommands(command)) is not None:
        assert not rest or rest[0] in subs, f"{where}: no command {' '.join([*path, rest[0]])!r}"
        return
    known = _options(command)
    for word in rest:
        option = _OPTION.match(word)
        if option and not re.fullmatch(r"-\d.*", word):
            name = option.group(1)
            assert name in known, f"{where}: `safetyloop {' '.join(path)}` has no option {name}"


def test_every_environment_variable_read_is_documented() -> None:
    read = {
        name
        for source in (ROOT / "src" / "safetyloop").rglob("*.py")
        for name in re.findall(r"\bSAFETYLOOP_[A-Z_]+\b", source.read_text(encoding="utf-8"))
    }
    documented = " ".join(path.read_text(encoding="utf-8") for path in DOCS)
    assert read, "no SAFETYLOOP_* variable found in src/: the search is broken"
    missing = sorted(name for name in read if name not in documented)
    assert not missing, f"read in src/ but documented nowhere in README.md or docs/: {missing}"
