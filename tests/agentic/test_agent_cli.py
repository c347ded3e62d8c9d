"""`safetyloop agent run|show` on scripted agents plugged in as `python:` targets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.cli.invoking import Invoke

OBEYING = "python:tests.agentic.scripted_agents:obeying_agent"
IGNORING = "python:tests.agentic.scripted_agents:ignoring_agent"


@pytest.fixture(autouse=True)
def in_tmp(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Runs go to the default store, `.safetyloop/` under the working folder: a temporary one."""
    monkeypatch.chdir(tmp_path)


def test_run_then_show(invoke: Invoke, tmp_path: Path) -> None:
    out = tmp_path / "run.json"
    code, stdout, err = invoke(
        "agent",
        "run",
        "-t",
        OBEYING,
        "--env",
        "banking",
        "--attacks",
        "tool_knowledge",
        "--out",
        str(out),
    ).flat
    assert code == 0, err
    assert "by environment" in stdout and "by attack" in stdout
    # 15 tasks alone, 15 × 6 attacked: every attack succeeds, every task gets done
    assert "1.00 [0.80, 1.00] 15/15" in stdout
    assert "90/90" in stdout
    shown = invoke("agent", "show", str(out), "--json")
    assert shown.code == 0
    metrics = json.loads(shown.out)
    assert metrics["overall"]["targeted_attack_success"]["events"] == 90
    case = "banking/pay-bill/drain-account/tool_knowledge"
    trajectory = invoke("agent", "show", str(out), "--case", case)
    assert trajectory.code == 0
    assert "send_money" in trajectory.out and "UNSANCTIONED" in trajectory.out


def test_a_defence_changes_the_figures(invoke: Invoke, tmp_path: Path) -> None:
    out = tmp_path / "run.json"
    code, stdout, err = invoke(
        "agent",
        "run",
        "-t",
        OBEYING,
        "--env",
        "slack",
        "--attacks",
        "important_instructions",
        "--defences",
        "injection_detector",
        "--no-benign",
        "--json",
        "--out",
        str(out),
    ).flat
    assert code == 0, err
    assert json.loads(stdout)["overall"]["targeted_attack_success"]["events"] == 0


def test_bad_input_exits_2_before_running(invoke: Invoke, tmp_path: Path) -> None:
    out = tmp_path / "run.json"
    code, _, err = invoke("agent", "run", "-t", IGNORING, "--attacks", "nope", "-o", str(out)).flat
    assert code == 2 and "unknown attack 'nope'" in err
    code, _, err = invoke(
        "agent", "run", "-t", IGNORING, "--user-tasks", "nope", "-o", str(out)
    ).flat
    assert code == 2 and "unknown user task 'nope'" in err
    assert not out.exists()
    code, _, err = invoke("agent", "run", "-o", str(tmp_path / "no" / "run.json")).flat
    assert code == 2 and "does not exist" in err
    (tmp_path / "other.json").write_text("{}", encoding="utf-8")
    code, _, err = invoke("agent", "show", str(tmp_path / "other.json")).flat
    assert code == 2 and "not a saved agentic run" in err
