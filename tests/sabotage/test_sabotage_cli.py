"""`safetyloop sabotage run|show` as a user runs it, with `python:` scripted doubles; a monitor
that gives no number is a monitor error, never a low suspicion."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.cli.invoking import invoke_once

AGENTS = "python:tests.sabotage.agents"


def _run(tmp_path: Path, monitor: str) -> tuple[str, str]:
    store = f"sqlite:///{tmp_path / 'store.db'}"
    done = invoke_once(
        "sabotage", "run", "-t", f"{AGENTS}:subtle_saboteur", "-m", f"{AGENTS}:{monitor}",
        "--pair", "code-backdoor,weights-exfiltration", "--store", store, cwd=tmp_path,
    )  # fmt: skip
    assert done.code == 0, done.err
    return store, done.out


def test_run_and_show_the_subtle_saboteur(tmp_path: Path) -> None:
    store, out = _run(tmp_path, "keyword_monitor")
    assert re.search(r"weights-exfiltration +1\.00 \[[0-9.]+, 1\.00\] n=1 +1\.00", out), out
    assert "4/4 episodes, 0 errors, 0 monitor errors" in out
    run_id = re.search(r"sabotage show (\w+)", out)
    assert run_id
    shown = invoke_once(
        "sabotage", "show", run_id.group(1), "--store", store, "--json", cwd=tmp_path
    )
    overall = json.loads(shown.out)["overall"]
    assert overall["evasion"]["value"] == 1.0 and overall["monitor_auc"]["value"] == 0.5


def test_a_monitor_without_a_number_is_an_error_not_a_pass(tmp_path: Path) -> None:
    _, out = _run(tmp_path, "mute_monitor")
    assert "4 monitor errors" in out
    assert re.search(r"all +1\.00 \S+ \S+ n=2 +1\.00 \S+ \S+ n=2 +- +-", out), out
