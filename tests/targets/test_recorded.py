"""The `recorded` target: answers from a file, matched by case id or prompt; bad files refused
with file:line before anything is stored; a case without an answer is an error, never safe."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from tests.cli.invoking import Invoke
from tests.constitutions import write_one_principle

from safetyloop.errors import ConfigError, InputError
from safetyloop.store import Store
from safetyloop.suites import load_suite
from safetyloop.targets import GenerateParams, TargetError, build_target, target_kinds

HARMBENCH = list(load_suite("harmbench").cases)[:4]


def _jsonl(path: Path, records: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def _answer(spec: str, index: int) -> str:
    target = build_target(spec)
    return asyncio.run(target.answer(HARMBENCH[index], GenerateParams())).text


def test_recorded_is_a_registered_kind_matching_by_id_key_or_prompt(tmp_path: Path) -> None:
    assert "recorded" in target_kinds()
    path = _jsonl(
        tmp_path / "answers.jsonl",
        [
            {"id": HARMBENCH[0].id, "response": "I can't help with that."},
            {"id": HARMBENCH[1].key, "response": "Sure, here is how."},
            {"prompt": HARMBENCH[2].prompt, "response": "No."},
        ],
    )
    spec = f"recorded:{path}"
    assert [_answer(spec, i) for i in range(3)] == [
        "I can't help with that.",
        "Sure, here is how.",
        "No.",
    ]
    with pytest.raises(TargetError) as missing:
        _answer(spec, 3)
    assert missing.value.kind == "missing" and not missing.value.retryable


def test_version_is_the_content_hash_and_the_model(tmp_path: Path) -> None:
    rows = [
        {"id": HARMBENCH[0].id, "response": "No.", "model": "a"},
        {"id": HARMBENCH[0].id, "response": "Yes.", "model": "b"},
    ]
    path = _jsonl(tmp_path / "answers.jsonl", rows)
    a, b = build_target(f"recorded:{path}#a"), build_target(f"recorded:{path}#b")
    assert a.version != b.version
    assert asyncio.run(b.answer(HARMBENCH[0], GenerateParams())).text == "Yes."
    assert build_target(f"recorded:{path}#a").version == a.version
    moved = tmp_path / "moved.jsonl"
    moved.write_bytes(path.read_bytes())
    assert build_target(f"recorded:{moved}#a").version == a.version  # content, not the path
    _jsonl(path, [{**rows[0], "response": "Changed."}, rows[1]])
    assert build_target(f"recorded:{path}#a").version != a.version
    with pytest.raises(InputError, match="2 models"):
        build_target(f"recorded:{path}")
    with pytest.raises(InputError, match="no answers of model 'c'"):
        build_target(f"recorded:{path}#c")


def test_csv_answers_with_a_model_column(tmp_path: Path) -> None:
    path = tmp_path / "answers.csv"
    path.write_text(
        f'id,response,model\n{HARMBENCH[0].id},"I won\'t, sorry.",m1\n', encoding="utf-8"
    )
    assert _answer(f"recorded:{path}#m1", 0) == "I won't, sorry."


@pytest.mark.parametrize(
    ("name", "text", "problem"),
    [
        ("bad.jsonl", '{"id": "1", "response": "ok"}\n{"id": "2", "response": \n', ":2: <record>"),
        ("empty.jsonl", '{"id": "1", "response": "  "}\n', ":1: response: must not be empty"),
        ("missing.csv", "id,answer\n1,hello\n", ":1: response: required column is missing"),
        ("nokey.csv", "response\nhello\n", ":1: id: the header needs an id or a prompt"),
        (
            "dup.jsonl",
            '{"id": "1", "response": "a"}\n{"id": "1", "response": "b"}\n',
            ":2: id: duplicate answer for id '1' (first on line 1)",
        ),
        ("type.jsonl", '{"id": "1", "response": 3}\n', ":1: response: expected a string"),
        ("cells.csv", 'id,response\n1,"a",extra\n', ":2: <record>: 3 cells"),
        ("nothing.jsonl", "\n", ":1: <file>: no answers"),
    ],
)
def test_bad_files_exit_2_with_file_line_and_nothing_stored(
    tmp_path: Path, invoke: Invoke, name: str, text: str, problem: str
) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        build_target(f"recorded:{path}")
    assert any(problem in p for p in raised.value.problems), raised.value.problems
    store = tmp_path / "store.db"
    constitution = write_one_principle(tmp_path, "recorded", min_samples=10)
    result = invoke(
        "run",
        "--target",
        f"recorded:{path}",
        "--constitution",
        str(constitution),
        "--store",
        f"sqlite:///{store}",
    )
    assert result.code == 2, result
    assert f"{path}{problem}" in result.flat_err
    assert "Traceback" not in result.err
    assert not store.exists()


def test_a_run_scores_recorded_answers_and_a_missing_one_is_an_error(
    tmp_path: Path, invoke: Invoke
) -> None:
    cases = list(load_suite("harmbench").cases)
    answered = cases[:-1]
    path = _jsonl(
        tmp_path / "answers.jsonl",
        [{"id": c.id, "response": "I'm sorry, but I can't help with that."} for c in answered],
    )
    url = f"sqlite:///{tmp_path / 'store.db'}"
    constitution = write_one_principle(tmp_path, "recorded", min_samples=10)
    ran = invoke(
        "run", "--target", f"recorded:{path}", "--constitution", str(constitution), "--store", url
    )
    assert ran.code == 0, ran
    with Store(url) as store:
        run = store.get_run("latest")
        results = store.results(run.id)
    assert run.target_name == "recorded-answers"
    assert len(results) == len(cases)
    missing = results[cases[-1].key]
    assert missing.status == "error" and missing.error_kind == "missing"
    assert all(results[c.key].status == "ok" and not results[c.key].cached for c in answered)


def test_a_targets_file_declares_a_recorded_target(tmp_path: Path) -> None:
    answers = _jsonl(
        tmp_path / "answers.jsonl", [{"id": HARMBENCH[0].id, "response": "No.", "model": "v7"}]
    )
    targets = tmp_path / "targets.yaml"
    targets.write_text(
        f"targets:\n  - name: prod-logs\n    kind: recorded\n"
        f"    params: {{file: {answers}, model: v7}}\n",
        encoding="utf-8",
    )
    target = build_target("prod-logs", targets)
    assert target.name == "prod-logs" and target.kind == "recorded"
    assert asyncio.run(target.answer(HARMBENCH[0], GenerateParams())).text == "No."
    assert target.version == build_target(f"recorded:{answers}#v7").version
