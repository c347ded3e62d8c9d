"""`safetyloop reward audit|show|debt` and the gate on a reward audit, through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.cli.invoking import Invoke

FN = "python:tests.reward.reward_function_doubles"
CONSTITUTION = str(Path(__file__).resolve().parents[2] / "examples" / "reward_constitution.yaml")


@pytest.fixture(autouse=True)
def in_tmp(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Audits go to the default store, `.safetyloop/` under the working folder: a temporary one."""
    monkeypatch.chdir(tmp_path)


def test_audit_writes_the_report_and_finds_a_regression(invoke: Invoke, tmp_path: Path) -> None:
    args = ("--families", "length,sycophancy", "--limit", "20")
    code, out, err = invoke("reward", "audit", "-m", f"{FN}:shorter_is_better", *args).flat
    assert code == 0, err
    assert "length" in out and "reward audit" in out and "stored" in out
    for name in ("audit.json", "report.md", "report.html", "length.png", "sycophancy.png"):
        assert (tmp_path / "reward-audit" / name).is_file()
    page = (tmp_path / "reward-audit" / "report.html").read_text()
    assert page.count("data:image/png;base64,") == 2 and "shorter_is_better" in page
    report = (tmp_path / "reward-audit" / "report.md").read_text()
    assert "![length](length.png)" in report and "| shorter |" in report
    code, out, err = invoke("reward", "audit", "-m", f"{FN}:longer_is_better", *args).flat
    assert code == 0, err
    assert "against python:tests.reward.reward_function_doubles:shorter_is_better" in out
    assert "length: flip rate 0.00 -> 1.00" in out and "REGRESSED" in out
    shown = invoke("reward", "show", "latest", "--json")
    data = json.loads(shown.out)
    assert data["model"].endswith("longer_is_better")
    (length,) = [f for f in data["families"] if f["family"] == "length"]
    assert length["flips"] == 20 and length["flip_rate"]["high"] == 1.0
    assert "margins" not in length


def test_errors_are_counted_and_bad_input_exits_2(invoke: Invoke, tmp_path: Path) -> None:
    code, _, err = invoke(
        "reward", "audit", "-m", f"{FN}:broken", "--families", "harmful", "--limit", "6"
    ).flat
    assert code == 0, err
    data = json.loads((tmp_path / "reward-audit" / "audit.json").read_text())
    assert data["families"][0]["errors"] == 6 and data["families"][0]["flip_rate"] is None
    code, _, err = invoke("reward", "audit", "-m", "nosuch:thing").flat
    assert code == 2 and "unknown reward-model kind" in err
    code, _, err = invoke("reward", "audit", "--families", "nosuch").flat
    assert code == 2 and "nosuch" in err
    bad = tmp_path / "bad.json"
    bad.write_text('{"model": 1,\n "families": [}')
    code, _, err = invoke("reward", "show", str(bad)).flat
    assert code == 2 and f"{bad}:2" in err
    code, _, err = invoke("reward", "show", "nosuchrun").flat
    assert code == 2 and "no reward audit" in err


def test_the_gate_decides_on_the_reward_audit_and_a_finding_opens_debt(
    invoke: Invoke, tmp_path: Path
) -> None:
    roles = tmp_path / "roles.yaml"
    roles.write_text("alice: [safety-lead]\n")
    code, out, err = invoke(
        "run", "--constitution", CONSTITUTION, "--target", f"{FN}:longer_is_better"
    ).flat
    assert code == 0, err
    gated = invoke("gate", "latest", "--json")
    before = {p["id"]: p["status"] for p in json.loads(gated.out)["principles"]}
    assert before == {"RW1": "NOT MEASURED", "RW2": "NOT MEASURED"}
    audited = invoke(
        "reward", "audit", "-m", f"{FN}:longer_is_better", "--limit", "40",
        "--families", "harmful,sycophancy,length,flattery",
    )  # fmt: skip
    assert audited.code == 0, audited.err
    gated = invoke("gate", "latest", "--json")  # the constitution names the offline model
    after = {p["id"]: p["status"] for p in json.loads(gated.out)["principles"]}
    assert after == {"RW1": "NOT MEASURED", "RW2": "NOT MEASURED"}
    gated = invoke("gate", "latest", "--reward", "latest", "--json")
    assert gated.code == 1
    decision = json.loads(gated.out)
    found = {p["id"]: p for p in decision["principles"]}
    assert found["RW2"]["status"] == "BLOCK"  # every padded or flattered answer wins
    messages = [f["message"] for f in found["RW2"]["findings"]]
    assert any("length flip rate" in m and "block_at 0.75" in m for m in messages)
    assert any("the principle's reward model is offline" in m for m in messages)
    code, out, err = invoke(
        "reward", "debt", "--family", "length", "--principle", "RW2", "--owner", "alice",
        "--constitution", CONSTITUTION, "--as", "alice", "--roles", str(roles),
    ).flat  # fmt: skip
    assert code == 0, err
    assert "opened debt-" in out and "RW2" in out
    listed = invoke("debt", "list")
    assert listed.code == 0 and "RW2" in listed.out and "alice" in listed.out


def test_a_stored_audit_is_risk_report_evidence(invoke: Invoke) -> None:
    from safetyloop.risk import SOURCES
    from safetyloop.store import Store

    done = invoke("reward", "audit", "-m", f"{FN}:longer_is_better", "--families", "length")
    assert done.code == 0, done.err
    source = SOURCES.get("reward")
    with Store(None) as store:
        data = json.loads(invoke("reward", "show", "latest", "--json").out)
        assert source.latest_run_id(store, data["model_version"]) == data["run_id"]
        assert source.latest_run_id(store, "another-version") is None
        (figure,) = source.measurements(store, data["run_id"])
    assert figure.metric == "reward_flip:length" and figure.value == 1.0
    assert figure.source == "reward" and figure.n == 86 and figure.low < 1.0
