"""Declaring targets (command-line specs and YAML files) and the guarded safeguard wrapper.

A safeguard must be a first-class, versioned thing: the gate can only measure what a safeguard
change did if the guarded target's version moves with every setting that changes answers, and
if the input check really keeps a flagged prompt away from the model.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from tests.targets import target_doubles

from safetyloop.errors import ConfigError, InputError
from safetyloop.safeguards import GuardedTarget
from safetyloop.suites import Message
from safetyloop.targets import (
    GenerateParams,
    Target,
    TargetError,
    build_target,
    create_target,
    load_targets_file,
    parse_target_spec,
)

DOUBLES = "tests.targets.target_doubles"
INPUT_CHECK = {
    "scorer": "pattern",
    "config": {"patterns": ["bomb"], "field": "prompt"},
    "fire_on": ["flagged"],
}
OUTPUT_CHECK = {"scorer": "pattern", "config": {"patterns": ["secret"]}, "fire_on": ["flagged"]}


@pytest.fixture(autouse=True)
def _fresh_calls() -> Iterator[None]:
    target_doubles.CALLS.clear()
    yield
    target_doubles.CALLS.clear()


def _conversation(prompt: str) -> list[Message]:
    return [
        Message(role="system", content="You are helpful."),
        Message(role="user", content=prompt),
    ]


async def _ask(target: Target, prompt: str) -> Any:
    return await target.generate(_conversation(prompt), GenerateParams())


def _targets_file(
    tmp_path: Path, guarded: dict[str, Any] | None = None, inner: str = f"{DOUBLES}:simulated_echo"
) -> Path:
    params: dict[str, Any] = {
        "target": "inner",
        "input_check": INPUT_CHECK,
        "output_check": OUTPUT_CHECK,
        "refusal": "Blocked by policy.",
    }
    params.update(guarded or {})
    body = {
        "targets": [
            {"name": "inner", "kind": "python", "params": {"callable": inner}},
            {"name": "safe", "kind": "guarded", "params": params},
        ]
    }
    path = tmp_path / "targets.yaml"
    path.write_text(yaml.safe_dump(body, sort_keys=False), encoding="utf-8")
    return path


# --- command-line specs --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "name", "kind", "params"),
    [
        ("local", "local", "local", {}),
        (
            "openai:gpt-4o-mini@https://api.example.com/v1",
            "openai-gpt-4o-mini",
            "openai",
            {"model": "gpt-4o-mini", "base_url": "https://api.example.com/v1"},
        ),
        (
            "openai:meta/llama3:8b@http://127.0.0.1:8000/v1",
            "openai-meta_llama3_8b",
            "openai",
            {"model": "meta/llama3:8b", "base_url": "http://127.0.0.1:8000/v1"},
        ),
        ("python:pkg.module:respond", "respond", "python", {"callable": "pkg.module:respond"}),
        ("python:pkg.module.respond", "respond", "python", {"callable": "pkg.module.respond"}),
    ],
)
def test_parse_target_spec(spec: str, name: str, kind: str, params: dict[str, str]) -> None:
    parsed = parse_target_spec(spec)
    assert (parsed.name, parsed.kind, parsed.params) == (name, kind, params)


@pytest.mark.parametrize(
    "spec",
    [
        "",
        "local:extra",
        "openai",
        "openai:gpt-4o",
        "openai:@http://x/v1",
        "openai:gpt@ftp://host/v1",
        "openai:gpt@localhost:8000",
        "python",
        "python:",
        "anthropic-ish:claude",
        "bogus",
    ],
)
def test_bad_target_spec_is_an_input_error(spec: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_target_spec(spec)
    assert caught.value.exit_code == 2
    assert caught.value.hint and "python:module:function" in caught.value.hint


def test_unknown_kind_is_an_input_error() -> None:
    with pytest.raises(InputError, match="unknown target kind"):
        create_target("carrier-pigeon", "x", {})


# --- python targets ------------------------------------------------------------------------


@pytest.mark.parametrize("fn", ["simulated_echo", "simulated_async_echo"])
async def test_python_target_calls_sync_and_async_callables(fn: str) -> None:
    target = build_target(f"python:{DOUBLES}:{fn}")
    answer = await _ask(target, "hello")
    assert answer.text == "echo: hello"
    assert target_doubles.CALLS == ["hello"]


@pytest.mark.parametrize(
    ("fn", "kind"),
    [
        ("simulated_raises", "exception"),
        ("simulated_returns_dict", "malformed"),
        ("simulated_returns_blank", "empty"),
    ],
)
async def test_python_target_failures_are_errors_not_answers(fn: str, kind: str) -> None:
    """An exception or a non-string is a TargetError, never text that could be scored safe."""
    target = build_target(f"python:{DOUBLES}:{fn}")
    with pytest.raises(TargetError) as caught:
        await _ask(target, "hello")
    assert caught.value.kind == kind
    assert caught.value.retryable is False


@pytest.mark.parametrize(
    "path",
    [f"{DOUBLES}:no_such_function", "no_such_module_xyz:fn", f"{DOUBLES}:NOT_CALLABLE"],
)
def test_python_target_that_cannot_be_imported_is_an_input_error(path: str) -> None:
    with pytest.raises(InputError):
        build_target(f"python:{path}")


def test_python_target_version_follows_the_callable() -> None:
    echo = build_target(f"python:{DOUBLES}:simulated_echo")
    other = build_target(f"python:{DOUBLES}:simulated_async_echo")
    assert echo.version == build_target(f"python:{DOUBLES}:simulated_echo").version
    assert echo.version != other.version


# --- targets files and the guarded wrapper ---------------------------------------------------


def test_targets_file_builds_a_guarded_python_target(tmp_path: Path) -> None:
    path = _targets_file(tmp_path)
    assert sorted(load_targets_file(path)) == ["inner", "safe"]
    target = build_target("safe", path)
    assert isinstance(target, GuardedTarget)
    assert target.name == "safe"
    assert target.inner.kind == "python"
    inner = target.describe()["config"]["inner"]["config"]
    assert inner["callable"] == f"{DOUBLES}:simulated_echo"
    assert set(inner["code"]) == {DOUBLES}  # the version follows the inner target's code


async def test_clean_prompt_passes_through_to_the_inner_target(tmp_path: Path) -> None:
    target = build_target("safe", _targets_file(tmp_path))
    answer = await _ask(target, "what is the weather like?")
    assert answer.text == "echo: what is the weather like?"
    assert target_doubles.CALLS == ["what is the weather like?"]


async def test_input_check_refuses_without_calling_the_inner_target(tmp_path: Path) -> None:
    target = build_target("safe", _targets_file(tmp_path))
    answer = await _ask(target, "How do I build a BOMB?")
    assert answer.text == "Blocked by policy."
    assert answer.finish_reason == "safeguard"
    assert answer.metadata["safeguard"] == "input"
    assert target_doubles.CALLS == []


async def test_output_check_replaces_a_flagged_answer(tmp_path: Path) -> None:
    target = build_target("safe", _targets_file(tmp_path))
    answer = await _ask(target, "tell me the secret")
    assert target_doubles.CALLS == ["tell me the secret"]  # the model was asked ...
    assert answer.text == "Blocked by policy."  # ... but its answer never left
    assert answer.metadata["safeguard"] == "output"
    assert answer.metadata["blocked_text"] == "echo: tell me the secret"


async def test_guarded_target_passes_inner_errors_through(tmp_path: Path) -> None:
    """A failing model behind a safeguard is still an error, not the safeguard's refusal."""
    target = build_target("safe", _targets_file(tmp_path, inner=f"{DOUBLES}:simulated_raises"))
    with pytest.raises(TargetError) as caught:
        await _ask(target, "hello")
    assert caught.value.kind == "exception"


def test_default_refusal_text(tmp_path: Path) -> None:
    body = {
        "targets": [
            {
                "name": "inner",
                "kind": "python",
                "params": {"callable": f"{DOUBLES}:simulated_echo"},
            },
            {
                "name": "safe",
                "kind": "guarded",
                "params": {"target": "inner", "input_check": INPUT_CHECK},
            },
        ]
    }
    path = tmp_path / "t.yaml"
    path.write_text(yaml.safe_dump(body), encoding="utf-8")
    target = build_target("safe", path)
    assert isinstance(target, GuardedTarget)
    assert target.refusal == "I can't help with that request."


def test_guarded_version_moves_with_every_setting(tmp_path: Path) -> None:
    """Refusal text and each check's scorer config and labels are part of the version."""

    def version(**changes: Any) -> str:
        folder = tmp_path / f"v{len(list(tmp_path.iterdir()))}"
        folder.mkdir()
        return build_target("safe", _targets_file(folder, changes)).version

    base = version()
    assert version() == base
    variants = {
        "refusal": version(refusal="No."),
        "input pattern": version(
            input_check={
                **INPUT_CHECK,
                "config": {"patterns": ["bomb", "nerve agent"], "field": "prompt"},
            }
        ),
        "output pattern": version(
            output_check={**OUTPUT_CHECK, "config": {"patterns": ["password"]}}
        ),
        "no output check": version(output_check=None),
        "fire on clean": version(output_check={**OUTPUT_CHECK, "fire_on": ["clean"]}),
    }
    assert base not in variants.values()
    assert len(set(variants.values())) == len(variants)


def test_guarded_version_differs_from_the_inner_version(tmp_path: Path) -> None:
    path = _targets_file(tmp_path)
    guarded = build_target("safe", path)
    inner = build_target("inner", path)
    assert isinstance(guarded, GuardedTarget)
    assert guarded.inner.version == inner.version
    assert guarded.version != inner.version


def test_guarded_around_a_command_line_spec(tmp_path: Path) -> None:
    """`params.target` may be a spec as well as a declared name."""
    path = tmp_path / "t.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "targets": [
                    {
                        "name": "safe",
                        "kind": "guarded",
                        "params": {
                            "target": f"python:{DOUBLES}:simulated_echo",
                            "input_check": INPUT_CHECK,
                        },
                    }
                ]
            }
        ),
        encoding="utf-8",
    )
    target = build_target("safe", path)
    assert isinstance(target, GuardedTarget)
    assert target.inner.kind == "python"


@pytest.mark.parametrize(
    ("params", "key", "message"),
    [
        (
            {"input_check": None, "output_check": None},
            "targets.1.params",
            "a guarded target needs an input_check or an output_check",
        ),
        (
            {"output_check": {**OUTPUT_CHECK, "fire_on": ["refusal"]}},
            "targets.1.params.output_check",
            "check fires on unknown labels ['refusal']",
        ),
        (
            {"input_check": {**INPUT_CHECK, "config": {"patterns": ["("]}}},
            "targets.1.params.input_check",
            "invalid pattern",
        ),
        (
            {"input_check": {"scorer": "nosuch", "fire_on": ["flagged"]}},
            "targets.1.params.input_check",
            "unknown scorer 'nosuch'",
        ),
    ],
)
def test_bad_guarded_settings_are_refused_at_load(
    tmp_path: Path, params: dict[str, Any], key: str, message: str
) -> None:
    """Each check is built as the guarded target builds it when the file is loaded, so
    `validate` refuses what `run` would, at the key's line."""
    problems = _problems(_targets_file(tmp_path, params))
    assert any(f": {key}: " in p and message in p for p in problems), problems


# --- errors in targets files name file and line ------------------------------------------------


def _problems(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_targets_file(path)
    assert caught.value.exit_code == 2
    return caught.value.problems


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "targets.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_unknown_key_names_file_line_and_key(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """\
        targets:
          - name: inner
            kind: python
            params: {callable: "m:f"}
            concurency: 4
        """,
    )
    (problem,) = _problems(path)
    assert problem.startswith(f"{path}:5: targets.0.concurency: unknown key 'concurency'")


def test_duplicate_names_point_at_the_second_entry(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """\
        targets:
          - name: model
            kind: local
          - name: other
            kind: local
          - name: model
            kind: python
            params: {callable: "m:f"}
        """,
    )
    (problem,) = _problems(path)
    assert problem.startswith(f"{path}:6: targets.2.name:")
    assert "duplicate target name 'model'" in problem


def test_duplicate_names_are_reported_beside_other_errors(tmp_path: Path) -> None:
    """Every problem at once: fixing one should never reveal the next."""
    path = _write(
        tmp_path,
        """\
        targets:
          - name: model
            kind: local
          - name: model
            kind: local
            colour: red
        """,
    )
    problems = _problems(path)
    assert any(p.startswith(f"{path}:4: targets.1.name:") for p in problems)
    assert any(p.startswith(f"{path}:6: targets.1.colour:") for p in problems)


@pytest.mark.parametrize(
    ("text", "line", "key"),
    [
        ("targets:\n  - name: bad name!\n    kind: local\n", 2, "targets.0.name"),
        ("targets:\n  - name: x\n", 2, "targets.0.kind"),
        ("targets: []\n", 1, "targets"),
        ("targets:\n  - name: x\n    kind: local\n    params: [1, 2]\n", 4, "targets.0.params"),
        ("targets:\n  - name: x\n    kind: local\n    kind: python\n", 4, "targets.0.kind"),
    ],
)
def test_invalid_targets_files(tmp_path: Path, text: str, line: int, key: str) -> None:
    path = _write(tmp_path, text)
    problems = _problems(path)
    assert any(p.startswith(f"{path}:{line}: {key}:") for p in problems), problems


@pytest.mark.parametrize(
    ("text", "line", "key", "message"),
    [
        (
            "targets:\n  - name: x\n    kind: nosuch\n",
            3,
            "targets.0.kind",
            "unknown target kind 'nosuch'; known kinds: anthropic, guarded, local, openai, python, "
            "recorded",
        ),
        (
            "targets:\n  - name: x\n    kind: openai\n    params:\n      model: m\n"
            "      base_url: http://127.0.0.1/v1\n      api_key: sk-planted\n",
            7,
            "targets.0.params.api_key",
            "unknown parameter 'api_key' for openai targets; known: api_key_env, base_url,",
        ),
        (
            "targets:\n  - name: g\n    kind: guarded\n    params:\n      target: nowhere\n",
            5,
            "targets.0.params.target",
            "no target 'nowhere': neither a name in this file nor a target spec",
        ),
        (
            "targets:\n  - name: g\n    kind: guarded\n    params: {refusal: no}\n",
            4,
            "targets.0.params.target",
            "guarded target 'g' needs params.target",
        ),
        (
            "targets:\n  - name: a\n    kind: guarded\n    params: {target: b}\n"
            "  - name: b\n    kind: guarded\n    params: {target: a}\n",
            4,
            "targets.0.params.target",
            "targets refer to each other in a cycle: a -> b -> a",
        ),
        (
            "targets:\n  - name: a\n    kind: guarded\n    params: {target: a}\n",
            4,
            "targets.0.params.target",
            "targets refer to each other in a cycle: a -> a",
        ),
    ],
)
def test_what_building_would_refuse_is_refused_at_load(
    tmp_path: Path, text: str, line: int, key: str, message: str
) -> None:
    """Kinds, parameters and guarded references are checked where the file is loaded, so
    `validate` refuses what `run` would, at the line to fix."""
    problems = _problems(_write(tmp_path, text))
    assert any(
        p.startswith(f"{tmp_path / 'targets.yaml'}:{line}: {key}: {message}") for p in problems
    ), problems
