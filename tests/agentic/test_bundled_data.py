"""The agentic data ships with its licences and is read from the package only."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

import safetyloop.agentic


def test_licences_and_notice_are_bundled_with_the_data() -> None:
    data = files("safetyloop.agentic") / "data"
    for relative in [
        "NOTICE.md",
        "attacks.yaml",
        "banking/LICENSE",
        "slack/LICENSE",
        "support/LICENSE",
        "support/data_exfil.json",
    ]:
        assert (data / relative).is_file(), relative
    for env in ("banking", "slack", "support"):
        for name in ("environment.yaml", "injection_vectors.yaml", "tasks.yaml"):
            assert (data / env / name).is_file(), f"{env}/{name}"


def test_nothing_reads_data_from_outside_the_package() -> None:
    package = Path(safetyloop.agentic.__file__).parent
    for path in package.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "/work/" not in text and "shared/data" not in text, path
