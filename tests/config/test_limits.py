"""Hostile files are errors naming file and line, never a traceback, a hang or a memory blow-up."""

from __future__ import annotations

from pathlib import Path

import pytest

from safetyloop.config import load_yaml
from safetyloop.config._limits import MAX_FILE_MB_ENV, MAX_YAML_MB_ENV, depth_over, read_limited
from safetyloop.config._records import json_value
from safetyloop.errors import ConfigError, InputError
from safetyloop.suites import load_user_suite

BOMB = "".join(
    f"{name}: &{name} [{', '.join([f'*{prev}'] * 9 if prev else ['x'] * 9)}]\n"
    for prev, name in zip(["", *"abcdefgh"], "abcdefghi", strict=True)
)


def _problems(path: Path, load: object = load_yaml) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load(path)  # type: ignore[operator]
    assert caught.value.exit_code == 2
    return caught.value.problems


@pytest.mark.parametrize(
    ("text", "line", "needle"),
    [
        ("name: " + "[" * 5000 + "]" * 5000 + "\n", 1, "nested deeper than 64 levels"),
        ("a:\n" + "".join(f"{'  ' * i}- b:\n" for i in range(1, 200)), 33, "nested deeper"),
        (BOMB, 1, "once aliases are expanded"),
        ("a: &a [1, *a]\n", 1, "alias *a is inside its own anchor"),
        ("x: &x 1\n" + "".join(f"k{i}: *x\n" for i in range(101)), 102, "more than 100 aliases"),
        ("name: ok\nwhen: !!timestamp 2026-13-45\n", 2, "invalid timestamp '2026-13-45'"),
        ("n: !!int nope\n", 1, "invalid int 'nope'"),
        ("n: " + "1" * 5000 + "\n", 1, "invalid int"),
        ("name: ok\nv: '\x01'\n", 2, "special characters are not allowed: U+0001"),
        ("name: [\n", 2, "<yaml>: expected the node content"),
    ],
)
def test_hostile_yaml_is_one_located_error(
    tmp_path: Path, text: str, line: int, needle: str
) -> None:
    path = tmp_path / "hostile.yaml"
    path.write_text(text, encoding="utf-8")
    (problem,) = _problems(path)
    assert problem.startswith(f"{path}:{line}: <yaml>: "), problem
    assert needle in problem


def test_plain_dates_stay_strings(tmp_path: Path) -> None:
    path = tmp_path / "dates.yaml"
    path.write_text("name: 2026-13-45\nwhen: 2026-01-02\n", encoding="utf-8")
    data, _ = load_yaml(path)
    assert data == {"name": "2026-13-45", "when": "2026-01-02"}


def test_non_utf8_names_line_and_byte(tmp_path: Path) -> None:
    for suffix in (".yaml", ".jsonl", ".csv"):
        path = tmp_path / f"bad{suffix}"
        path.write_bytes(b"id,prompt,expected\n" + b"a,ok,refuse\nb,\xff\xfe,refuse\n")
        loader = load_yaml if suffix == ".yaml" else load_user_suite
        (problem,) = _problems(path, loader)
        assert problem == (
            f"{path}:3: <file>: not UTF-8 text: byte 0xff at offset 33 (invalid start byte)"
        )


def test_size_limit_is_configurable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "big.jsonl"
    path.write_bytes(b"x" * 200_000)
    monkeypatch.setenv(MAX_FILE_MB_ENV, "0.1")
    (problem,) = _problems(path, read_limited)
    assert problem == f"{path}:1: <file>: 0.2 MB is over the 0.1 MB limit for this kind of file"
    monkeypatch.setenv(MAX_FILE_MB_ENV, "1")
    assert len(read_limited(path)) == 200_000
    yaml_path = tmp_path / "big.yaml"
    yaml_path.write_text("a: " + "b" * 200_000 + "\n", encoding="utf-8")
    monkeypatch.setenv(MAX_YAML_MB_ENV, "0.1")
    (problem,) = _problems(yaml_path)
    assert "over the 0.1 MB limit" in problem
    monkeypatch.setenv(MAX_YAML_MB_ENV, "lots")
    with pytest.raises(InputError, match="SAFETYLOOP_MAX_YAML_MB='lots': not a positive number"):
        load_yaml(yaml_path)


def test_json_values_are_bounded() -> None:
    with pytest.raises(ValueError, match="nested deeper than 64 levels"):
        json_value("[" * 100_000 + "]" * 100_000)
    with pytest.raises(ValueError, match="nested deeper than 64 levels"):
        json_value("[" * 65 + "]" * 65)
    assert json_value("[" * 64 + "]" * 64) is not None
    with pytest.raises(ValueError, match="4300 digits"):
        json_value("1" * 5000)
    assert depth_over({"a": [{"b": 1}]}, limit=2) == ("a", 0)


def test_csv_messages_cell_that_is_not_a_list(tmp_path: Path) -> None:
    path = tmp_path / "suite.csv"
    path.write_text(
        'id,messages,expected\na,"{""role"": 1}",refuse\nb,nope,refuse\nc,"[1]",refuse\n',
        encoding="utf-8",
    )
    assert _problems(path, load_user_suite) == [
        f"{path}:2: messages: expected a non-empty list of {{role, content}}",
        f"{path}:3: messages: malformed JSON: Expecting value (column 1)",
        f"{path}:4: messages[0]: Input should be a valid dictionary or instance of Message",
    ]
