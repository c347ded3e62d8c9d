"""The CLI starts fast: a command imports its stage (and SciPy, SQLAlchemy, torch …) only when it
runs, and it reaches other packages through their public API only. `bench/startup.py` measures
the time and memory this buys; this test keeps the imports from creeping back.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

CLI = Path(__file__).resolve().parents[2] / "src" / "safetyloop" / "cli"
HEAVY = ("scipy", "statsmodels", "pandas", "joblib", "sqlalchemy", "alembic", "torch", "numpy")


def test_the_app_and_its_help_import_no_heavy_dependency() -> None:
    """A fresh interpreter (what `safetyloop --help` is) builds the whole app without them."""
    probe = (
        "import sys, typer; from safetyloop.cli import app; typer.main.get_command(app); "
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "[]", done.stdout + done.stderr


def test_the_cli_imports_no_private_module_of_another_package() -> None:
    private = re.compile(
        r"from safetyloop\.[a-z_]*\._|import safetyloop\.[a-z_.]*\._"
        r"|from safetyloop\.[a-z_.]+ import .*\b_[a-z]"
    )
    found = [
        f"{path.name}:{n}: {line.strip()}"
        for path in sorted(CLI.glob("*.py"))
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if private.search(line)
    ]
    assert not found, found
