"""`safetyloop validate FILE`: check a constitution, targets file or suite file; run nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from safetyloop.errors import InputError

from ._common import console


def validate(
    file: Annotated[Path, typer.Argument(help="Constitution, targets or suite file.")],
) -> None:
    """Validate a file and report every problem with file, line and key (exit 2 if any)."""
    from safetyloop.api import load_constitution_checked
    from safetyloop.config import load_yaml
    from safetyloop.suites import load_suite, load_user_suite
    from safetyloop.targets import load_targets_file

    if not file.is_file():
        raise InputError(f"no such file: {file}")
    if file.suffix in (".jsonl", ".csv"):
        suite = load_user_suite(file)
        console.print(
            Text.assemble(
                ("valid suite", "green"),
                f" {suite.name}: {len(suite.cases)} cases, version {suite.version[:12]}",
            )
        )
        return
    data, _ = load_yaml(file)
    if isinstance(data, dict) and "targets" in data:
        targets = load_targets_file(file)
        console.print(Text.assemble(("valid targets file", "green"), f": {', '.join(targets)}"))
        return
    if isinstance(data, list):
        suite = load_user_suite(file)
        console.print(
            Text.assemble(("valid suite", "green"), f" {suite.name}: {len(suite.cases)} cases")
        )
        return
    constitution = load_constitution_checked(file)
    console.print(
        Text.assemble(
            ("valid constitution", "green"),
            f" {constitution.name!r}: {len(constitution.principles)} principles, hash "
            f"{constitution.content_hash()[:12]}",
        )
    )
    for name, path in constitution.suite_files.items():
        suite = load_suite(path)
        shown = (
            Path(path).relative_to(Path.cwd()) if Path(path).is_relative_to(Path.cwd()) else path
        )
        console.print(
            f"  suite {name} from {shown}: {len(suite.cases)} cases, version {suite.version[:12]}",
            markup=False,
        )
