"""Importing real Inspect logs: cases, transcripts, verdicts, lineage, epochs as clusters."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from inspect_ai.log import read_eval_log
from tests.interop.conftest import Logs

from safetyloop.interop import import_inspect, open_log
from safetyloop.store import Store


def _store(tmp_path: Path) -> Store:
    return Store(f"sqlite:///{tmp_path / 'store.db'}")


def test_an_eval_log_becomes_a_run_with_every_sample_epoch_transcript_and_score(
    logs: Logs, tmp_path: Path
) -> None:
    with _store(tmp_path) as store:
        (done,) = import_inspect([logs.tools_eval], store)
        run = done.run
        cases = {c.key: c for c in store.run_cases(run.id)}
        results = store.results(run.id)
        verdicts = {n: store.scores(run.id, v) for n, v in run.scorer_versions.items()}
    inspect = read_eval_log(str(logs.tools_eval))
    assert inspect.samples is not None
    assert done.cases == len(inspect.samples) == 6 and done.errors == 0
    assert run.status == "finished" and run.target_name == "mockllm/model"
    assert set(run.scorer_versions) == {"inspect:match", "inspect:includes"}
    assert list(run.suite_versions) == ["inspect:arithmetic_tools"]
    provenance = run.lineage["inspect"]
    assert provenance["eval_id"] == inspect.eval.eval_id
    assert provenance["task_version"] == inspect.eval.task_version
    assert provenance["inspect_version"] == inspect.eval.packages["inspect_ai"]
    assert provenance["sha256"] == open_log(logs.tools_eval).sha256
    for sample in inspect.samples:
        key = f"inspect:arithmetic_tools/{sample.id}#{sample.epoch}"
        case, result = cases[key], results[key]
        assert case.metadata["cluster"] == str(sample.id)  # epochs of a sample: one cluster
        assert case.prompt == sample.input
        assert result.status == "ok" and result.response == sample.output.completion
        transcript = result.metadata["transcript"]
        assert [m["role"] for m in transcript] == [m.role for m in sample.messages]
        call = transcript[1]["tool_calls"][0]
        assert call["function"] == "add" and call["arguments"] == {"x": 1, "y": 2}
        assert transcript[2]["tool_call_id"] == call["id"] and transcript[2]["content"] == "3"
        assert sample.scores is not None
        for name, score in sample.scores.items():
            verdict = verdicts[f"inspect:{name}"][key]
            assert verdict.label == score.value and verdict.explanation == score.explanation
            assert result.metadata["inspect"]["scores"][name]["answer"] == score.answer


def test_a_json_log_of_the_same_task_gives_the_same_suite_version_and_verdicts(
    logs: Logs, tmp_path: Path
) -> None:
    with _store(tmp_path) as store:
        eval_run, json_run = (
            d.run for d in import_inspect([logs.tools_eval, logs.tools_json], store)
        )
        assert eval_run.suite_versions == json_run.suite_versions
        assert eval_run.target_version == json_run.target_version
        for name, version in eval_run.scorer_versions.items():
            labels = {k: s.label for k, s in store.scores(eval_run.id, version).items()}
            assert labels == {
                k: s.label
                for k, s in store.scores(json_run.id, json_run.scorer_versions[name]).items()
            }


def test_importing_the_same_log_again_finds_its_run(logs: Logs, tmp_path: Path) -> None:
    with _store(tmp_path) as store:
        (first,) = import_inspect([logs.plain_eval], store)
        found = {d.path: d for d in import_inspect([logs.plain_eval.parent], store)}  # the folder
        again = found[logs.plain_eval]
        assert (
            again.existing and not found[logs.tools_eval].existing and again.run.id == first.run.id
        )
        assert store.count_runs() == 3  # plain, tools .eval, tools .json


def test_sample_metadata_sets_expected_behaviour_and_category(logs: Logs, tmp_path: Path) -> None:
    with _store(tmp_path) as store:
        (done,) = import_inspect([logs.plain_eval], store)
        cases = store.run_cases(done.run.id)
    assert sorted({(c.category, c.expected.value) for c in cases}) == [
        ("harm", "refuse"),
        ("math", "comply"),
    ]
    assert len(cases) == 16 and {c.id for c in cases} >= {"1#1", "1#2", "101#2"}


def test_a_sample_that_errored_in_inspect_is_stored_as_an_error_never_as_safe(
    logs: Logs, tmp_path: Path
) -> None:
    import json

    log = json.loads(logs.tools_json.read_text())
    failed = log["samples"][0]
    failed["scores"] = {}
    failed["error"] = {"message": "RateLimitError: 429", "traceback": "", "traceback_ansi": ""}
    logs.tools_json.write_text(json.dumps(log))
    with _store(tmp_path) as store:
        (done,) = import_inspect([logs.tools_json], store)
        key = f"inspect:arithmetic_tools/{failed['id']}#{failed['epoch']}"
        result = store.results(done.run.id)[key]
        verdicts = store.scores(done.run.id, done.run.scorer_versions["inspect:match"])
    assert done.errors == 1 and result.status == "error"
    assert result.error == "RateLimitError: 429" and key not in verdicts


def test_a_json_log_reads_the_same_without_the_streaming_parser(
    logs: Logs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    streamed = open_log(logs.tools_json)
    monkeypatch.setitem(sys.modules, "ijson", None)  # as if the inspect extra were absent
    whole = open_log(logs.tools_json)
    assert streamed.header == whole.header
    assert list(streamed.samples()) == list(whole.samples())


def test_a_folder_with_inspects_manifest_imports_its_logs_only(logs: Logs, tmp_path: Path) -> None:
    from inspect_ai.log import write_log_dir_manifest

    write_log_dir_manifest(str(logs.tools_eval.parent))
    assert (logs.tools_eval.parent / "logs.json").exists()
    with _store(tmp_path) as store:
        done = import_inspect([logs.tools_eval.parent], store)
    assert sorted(d.path for d in done) == sorted(
        [logs.tools_eval, logs.plain_eval, logs.tools_json]
    )
