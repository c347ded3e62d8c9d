"""Which reward audit the gate reads: the one `--reward` names, else the newest finished audit
of the principle's `reward_model`, never a newer audit of another model; else NOT MEASURED."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.cli.invoking import Invoke

FN = "python:tests.reward.reward_function_doubles"
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "reward_constitution.yaml"
FAMILIES = ("--families", "length,flattery", "--limit", "30")


@pytest.fixture(autouse=True)
def in_tmp(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)


def _constitution(tmp_path: Path, model: str | None) -> str:
    """The example constitution with `reward_model` set to `model` (None: removed)."""
    text = EXAMPLE.read_text()
    if model is None:
        lines = [line for line in text.splitlines() if "reward_model:" not in line]
        text = "\n".join(lines) + "\n"
    else:
        text = text.replace("reward_model: offline", f"reward_model: {model}")
    path = tmp_path / "constitution.yaml"
    path.write_text(text)
    return str(path)


def _gate(invoke: Invoke, *args: str) -> dict[str, dict[str, object]]:
    gated = invoke("gate", "latest", "--json", *args)
    assert gated.code in (0, 1), gated.err
    return {p["id"]: p for p in json.loads(gated.out)["principles"]}


def _messages(principle: dict[str, object]) -> str:
    findings = principle["findings"]
    assert isinstance(findings, list)
    return " | ".join(str(f["message"]) for f in findings)


def _audit(invoke: Invoke, fn: str) -> str:
    done = invoke("reward", "audit", "-m", f"{FN}:{fn}", *FAMILIES)
    assert done.code == 0, done.err
    return str(json.loads(invoke("reward", "show", "latest", "--json").out)["run_id"])


def test_the_named_model_is_read_and_a_newer_audit_of_another_is_not(
    invoke: Invoke, tmp_path: Path
) -> None:
    constitution = _constitution(tmp_path, f"{FN}:shorter_is_better")
    ran = invoke("run", "--constitution", constitution, "--target", f"{FN}:shorter_is_better")
    assert ran.code == 0, ran.err
    assert "no finished reward audit of" in _messages(_gate(invoke)["RW2"])
    mine = _audit(invoke, "shorter_is_better")
    other = _audit(invoke, "longer_is_better")  # newer, and every padded answer wins
    found = _gate(invoke)["RW2"]
    assert found["status"] != "BLOCK"
    shown = _messages(found)
    assert f"reward audit {mine}" in shown and other not in shown
    found = _gate(invoke, "--reward", other[:8])["RW2"]  # named explicitly: read, and flagged
    assert found["status"] == "BLOCK"
    assert "the principle's reward model is" in _messages(found)
    assert other in _messages(found)


def test_without_a_named_model_the_rule_is_not_measured(invoke: Invoke, tmp_path: Path) -> None:
    constitution = _constitution(tmp_path, None)
    ran = invoke("run", "--constitution", constitution, "--target", f"{FN}:shorter_is_better")
    assert ran.code == 0, ran.err
    audited = _audit(invoke, "longer_is_better")
    found = _gate(invoke)
    assert {p["status"] for p in found.values()} == {"NOT MEASURED"}
    assert "no reward model named" in _messages(found["RW2"])
    found = _gate(invoke, "--reward", audited)
    assert found["RW2"]["status"] == "BLOCK"
    code, _, err = invoke("gate", "latest", "--reward", "nosuchaudit").flat
    assert code == 2 and "no reward audit 'nosuchaudit'" in err


def test_a_reward_model_needs_the_reward_rule(invoke: Invoke, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    text = EXAMPLE.read_text().replace("enforced_by: reward\n    reward_model", "reward_model", 1)
    bad.write_text(text)
    line = next(i for i, x in enumerate(text.splitlines(), 1) if "reward_model:" in x)
    code, _, err = invoke("run", "--constitution", str(bad), "--target", f"{FN}:shorter").flat
    assert code == 2
    assert f"{bad}:{line}: principles.0.reward_model: reward_model is read by the reward" in err
