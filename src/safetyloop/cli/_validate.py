"""`safetyloop validate FILE`: check a constitution, targets file or suite file; run nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from ._common import console


def validate(
    file: Annotated[Path, typer.Argument(help="Constitution, targets or suite file.")],
) -> None:
    """Validate a file and report every problem with file, line and key (exit 2 if any)."""
    from safetyloop.api import validate_file

    found = validate_file(file)
    if found.suite is not None:
        suite = found.suite
        version = f", version {suite.version[:12]}" if file.suffix in (".jsonl", ".csv") else ""
        console.print(
            Text.assemble(
                ("valid suite", "green"), f" {suite.name}: {len(suite.cases)} cases{version}"
            )
        )
        return
    if found.targets is not None:
        console.print(
            Text.assemble(("valid targets file", "green"), f": {', '.join(found.targets)}")
        )
        return
    constitution = found.constitution
    assert constitution is not None  # a file is exactly one of the three kinds
    console.print(
        Text.assemble(
            ("valid constitution", "green"),
            f" {constitution.name!r}: {len(constitution.principles)} principles, hash "
            f"{constitution.content_hash()[:12]}",
        )
    )
    for name, suite in found.suite_files.items():
        path = Path(constitution.suite_files[name])
        shown = path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path
        console.print(
            f"  suite {name} from {shown}: {len(suite.cases)} cases, version {suite.version[:12]}",
            markup=False,
        )
