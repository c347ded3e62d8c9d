"""Export: a stored run as an `.eval` log Inspect reads back; import → export → import keeps
every transcript, score and id; re-scoring an imported run with our own scorer."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from inspect_ai.log import read_eval_log
from tests.cli.invoking import Invoke
from tests.interop.conftest import Logs

from safetyloop.store import Store


def _snapshot(store: Store, run_id: str) -> dict[str, object]:
    """Everything an import keeps, by case id (run-independent)."""
    info = store.get_run(run_id)
    results = store.results(run_id)
    scores = {n: store.scores(run_id, v) for n, v in info.scorer_versions.items()}
    out: dict[str, object] = {}
    for case in store.run_cases(run_id):
        result = results[case.key]
        out[case.id] = (
            case.messages,
            case.metadata,
            case.expected,
            result.status,
            result.response,
            result.metadata["transcript"],
            result.metadata["inspect"]["scores"],
            {n: by_case[case.key] for n, by_case in scores.items() if case.key in by_case},
        )
    return out


@pytest.mark.parametrize("writer", ["inspect_ai", "safetyloop"])
def test_round_trip_keeps_every_transcript_score_and_id(
    logs: Logs, tmp_path: Path, invoke: Invoke, monkeypatch: pytest.MonkeyPatch, writer: str
) -> None:
    """Written by Inspect's write_eval_log, and by our own writer when inspect_ai is absent."""
    if writer == "safetyloop":
        monkeypatch.setitem(sys.modules, "inspect_ai.log", None)  # as if not installed
    url = f"sqlite:///{tmp_path / 'store.db'}"
    out = tmp_path / "exported" / "run.eval"
    assert invoke("import", "inspect", str(logs.tools_eval), "--store", url).code == 0
    with Store(url) as store:
        first = store.get_run("latest")
    exported = invoke("export", "inspect", first.id, "-o", str(out), "--mkdir", "--store", url)
    assert exported.code == 0, exported.err
    assert "6 samples, scores includes, match" in exported.out
    assert f"(written by {writer}" in " ".join(exported.out.split())
    monkeypatch.undo()  # Inspect itself reads the export back

    original, back = read_eval_log(str(logs.tools_eval)), read_eval_log(str(out))
    assert back.status == "success" and back.eval.eval_id == original.eval.eval_id
    assert back.eval.task == original.eval.task and back.eval.model == original.eval.model
    assert original.samples is not None and back.samples is not None
    theirs = {(s.id, s.epoch): s for s in original.samples}
    assert set(theirs) == {(s.id, s.epoch) for s in back.samples}
    for sample in back.samples:
        source = theirs[(sample.id, sample.epoch)]
        assert sample.input == source.input and sample.target == source.target
        assert sample.output.completion == source.output.completion
        assert [(m.role, m.text) for m in sample.messages] == [
            (m.role, m.text) for m in source.messages
        ]
        assert sample.scores == source.scores
        assert sample.uuid == source.uuid

    assert invoke("import", "inspect", str(out), "--store", url).code == 0
    with Store(url) as store:
        second = store.get_run("latest")
        assert second.id != first.id
        assert second.lineage["inspect"]["eval_id"] == first.lineage["inspect"]["eval_id"]
        assert _snapshot(store, second.id) == _snapshot(store, first.id)


def test_a_run_rescored_by_our_scorer_exports_its_verdicts_too(
    logs: Logs, tmp_path: Path, invoke: Invoke
) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    assert invoke("import", "inspect", str(logs.plain_eval), "--store", url).code == 0
    scored = invoke("score", "latest", "--scorer", "refusal_keyword", "--store", url)
    assert scored.code == 0, scored.err
    assert "16 answers scored by refusal_keyword" in scored.out
    again = invoke("score", "latest", "--scorer", "refusal_keyword", "--store", url)
    assert "0 answers scored" in again.out  # verdicts already stored are kept
    with Store(url) as store:
        run = store.get_run("latest")
        verdicts = store.scores(run.id, run.scorer_versions["refusal_keyword"])
        cases = store.run_cases(run.id)
    labels = {c.expected.value: set() for c in cases}
    for case in cases:
        labels[case.expected.value].add(verdicts[case.key].label)
    assert labels == {"refuse": {"refusal"}, "comply": {"compliance"}}

    out = tmp_path / "scored.eval"
    assert invoke("export", "inspect", run.id, "-o", str(out), "--store", url).code == 0
    back = read_eval_log(str(out))
    assert back.samples is not None
    assert {s.scores["safetyloop/refusal_keyword"].value for s in back.samples if s.scores} == {
        "refusal",
        "compliance",
    }


def test_export_refuses_a_file_that_is_not_eval(tmp_path: Path, invoke: Invoke) -> None:
    result = invoke("export", "inspect", "latest", "-o", str(tmp_path / "x.json"))
    assert result.code == 2 and "name the file *.eval" in result.flat_err


def test_a_dict_valued_score_is_one_verdict_per_key_and_exports_as_it_was(
    logs: Logs, tmp_path: Path
) -> None:
    from safetyloop.interop import export_inspect, import_inspect

    log = json.loads(logs.tools_json.read_text())
    for i, sample in enumerate(log["samples"]):
        sample["scores"]["multi"] = {"value": {"correct": i % 2, "refused": 0}, "answer": "a"}
    logs.tools_json.write_text(json.dumps(log))
    with Store(f"sqlite:///{tmp_path / 'store.db'}") as store:
        (first,) = import_inspect([logs.tools_json], store)
        names = set(first.run.scorer_versions)
        assert {"inspect:multi/correct", "inspect:multi/refused"} <= names
        labels = store.scores(first.run.id, first.run.scorer_versions["inspect:multi/correct"])
        assert sorted(s.label for s in labels.values()) == ["0", "0", "0", "1", "1", "1"]
        export_inspect(store, first.run.id, tmp_path / "multi.eval")
        back = read_eval_log(str(tmp_path / "multi.eval"))
        assert back.samples is not None
        assert {s.scores["multi"].value["refused"] for s in back.samples if s.scores} == {0}
        (second,) = import_inspect([tmp_path / "multi.eval"], store)
        assert set(second.run.scorer_versions) == names
