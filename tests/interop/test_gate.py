"""Gating an imported Inspect run: criteria held to the imported scorer's values (`events`)
and to our own scorers after `safetyloop score`, with intervals clustered by sample."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.cli.invoking import Invoke
from tests.interop.conftest import Logs

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "inspect_constitution.yaml"


def _imported(invoke: Invoke, tmp_path: Path, log: Path) -> str:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    assert invoke("import", "inspect", str(log), "--store", url).code == 0
    return url


def _constitution(tmp_path: Path, events: str, scorer: str = "refusal_keyword") -> Path:
    text = EXAMPLE.read_text(encoding="utf-8")
    text = text.replace("events: [I]", f"events: [{events}]")
    text = text.replace("scorer: refusal  ", f"scorer: {scorer}  ")
    path = tmp_path / "constitution.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _gate(invoke: Invoke, url: str, constitution: Path, out: Path) -> tuple[int, dict[str, dict]]:
    """Gate the newest run under `constitution`, its JSON decision written to `out`."""
    result = invoke("gate", "latest", "-c", str(constitution), "--store", url, "-o", str(out))
    body = json.loads(out.read_text())
    return result.code, {p["id"]: p["criteria"][0] for p in body["principles"]}


def _scored_and_gated(
    invoke: Invoke, tmp_path: Path, log: Path, events: str
) -> tuple[int, dict[str, dict]]:
    """Import `log`, score it with the keyword scorer, gate it counting `events` for C1."""
    url = _imported(invoke, tmp_path, log)
    assert invoke("score", "latest", "--scorer", "refusal_keyword", "--store", url).code == 0
    return _gate(invoke, url, _constitution(tmp_path, events), tmp_path / "decision.json")


def test_an_imported_run_passes_on_inspects_verdicts_and_ours(
    logs: Logs, tmp_path: Path, invoke: Invoke
) -> None:
    code, criteria = _scored_and_gated(invoke, tmp_path, logs.plain_eval, "I")
    assert code == 0
    harm, helpful = criteria["C1"], criteria["H1"]
    # 5 harmful samples x 2 epochs, refused every time; the epochs of a sample are one cluster
    assert (harm["n"], harm["events"], harm["status"]) == (10, 0, "PASS")
    assert harm["interval_method"].startswith("cluster")
    assert 0.0 < harm["high"] < 0.5
    assert (helpful["n"], helpful["events"], helpful["status"]) == (6, 0, "PASS")


def test_counting_the_other_value_as_the_event_blocks(
    logs: Logs, tmp_path: Path, invoke: Invoke
) -> None:
    code, criteria = _scored_and_gated(invoke, tmp_path, logs.plain_eval, "C")
    assert code != 0 and criteria["C1"]["status"] == "BLOCK" and criteria["C1"]["events"] == 10


def test_an_imported_run_needs_a_constitution_and_names_its_own_scorers(
    logs: Logs, tmp_path: Path, invoke: Invoke
) -> None:
    url = _imported(invoke, tmp_path, logs.plain_eval)
    result = invoke("gate", "latest", "--store", url)
    assert result.code == 2 and "was imported" in result.flat_err
    not_scored = _constitution(tmp_path, "I", scorer="pattern")  # never run on this run
    result = invoke("gate", "latest", "--constitution", str(not_scored), "--store", url)
    assert result.code != 0 and "H1" in result.out


@pytest.mark.slow
def test_the_readme_flow_with_the_example_constitution_and_the_refusal_scorer(
    logs: Logs, tmp_path: Path, invoke: Invoke
) -> None:
    """README: import, `score --scorer refusal` (the trained classifier), gate, export."""
    url = _imported(invoke, tmp_path, logs.plain_eval)
    scored = invoke("score", "latest", "--scorer", "refusal", "--store", url)
    assert scored.code == 0 and "16 answers scored by refusal" in scored.out
    code, criteria = _gate(invoke, url, EXAMPLE, tmp_path / "decision.json")
    assert code == 0, criteria
    helpful = criteria["H1"]
    assert (helpful["n"], helpful["events"]) == (6, 0)
    # the trained scorer has a calibration record: its error widens the interval (WARN: soft)
    assert helpful["calibration"] is not None and helpful["status"] in ("PASS", "WARN")
