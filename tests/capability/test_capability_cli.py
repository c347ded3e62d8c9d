"""`safetyloop capability run|show` as a user runs it: a `python:` scripted sandbagger is
measured, stored, shown again, and caught; a bad capabilities file exits 2 with file:line."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.capability.solvers import capabilities_file
from tests.cli.invoking import invoke_once


def test_run_and_show_a_sandbagger(tmp_path: Path) -> None:
    caps = capabilities_file(tmp_path, "plain", rule_in=0.5)
    store = f"sqlite:///{tmp_path / 'store.db'}"
    target = "python:tests.capability.solvers:sandbagger"
    done = invoke_once(
        "capability", "run", "-t", target, "--capabilities", str(caps), "--store", store,
        cwd=tmp_path,
    )  # fmt: skip
    assert done.code == 0, done.err
    assert "crossed (requires enhanced: NOT met)" in done.out
    assert "neutral 6/6 vs evaluation framing 0/6" in done.out and "FINDING" in done.out
    run_id = re.search(r"capability show (\w+)", done.out)
    assert run_id
    shown = invoke_once(
        "capability", "show", run_id.group(1), "--store", store, "--json", cwd=tmp_path
    )
    report = json.loads(shown.out)
    assert report["thresholds"][0]["value"] == 1.0 and report["sandbagging"]["finding"]


def test_a_bad_capabilities_file_exits_2_naming_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "caps.yaml"
    bad.write_text(
        "safeguard_levels: [standard]\ndeployed: standard\nthresholds:\n"
        "  - {id: x, name: x, suites: [coding], rule_out: 0.5, rule_in: 2, requires: standard}\n",
        encoding="utf-8",
    )
    done = invoke_once("capability", "run", "--capabilities", str(bad), cwd=tmp_path)
    assert done.code == 2
    assert "caps.yaml:4: thresholds.0.rule_in" in done.err
