"""User suites from JSONL, CSV or YAML files (schema: docs/suites.md).

A suite file is checked whole before anything runs: every problem is collected and reported as
`file:line: field: message`, so one pass fixes them all instead of one error per attempt.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from safetyloop.config._records import (
    Problems,
    csv_records,
    decode_text,
    json_value,
    jsonl_records,
    read_bytes,
)
from safetyloop.config._yaml import LineMap, load_yaml
from safetyloop.errors import InputError
from safetyloop.suites._case import Case, Expected, Message
from safetyloop.suites._suite import Suite

__all__ = ["DEFAULT_CATEGORY", "FIELDS", "load_user_suite"]

DEFAULT_CATEGORY = "uncategorised"
FIELDS = ("id", "prompt", "messages", "category", "expected", "metadata")
_EXPECTED = tuple(e.value for e in Expected)
_SCHEMA_HINT = "see docs/suites.md for the suite file schema; nothing was run"

# field name → line it is on (JSONL and CSV: the record's line for every field)
_LineOf = Callable[[str], int]


def load_user_suite(path: str | Path) -> Suite:
    """Load the user suite in `path` (.jsonl, .csv, .yaml or .yml); its name is the file stem.

    Raises:
        InputError: the file is missing, unreadable or of an unknown type.
        ConfigError: one or more records are invalid; `problems` lists all of them.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    readers: dict[str, Callable[[Path, str, Problems], list[Case]]] = {
        ".jsonl": _read_jsonl,
        ".csv": _read_csv,
        ".yaml": _read_yaml,
        ".yml": _read_yaml,
    }
    reader = readers.get(suffix)
    if reader is None:
        raise InputError(
            f"{path}: unsupported suite file type {suffix or '(none)'!r}",
            hint="use a .jsonl, .csv, .yaml or .yml file",
        )
    if not path.is_file():
        raise InputError(f"{path}: no such suite file", hint="check the path")
    problems = Problems(path)
    cases = reader(path, path.stem, problems)
    if not problems and not cases:
        problems.add(1, "<file>", "no cases (the file is empty)")
    problems.raise_if_any(_SCHEMA_HINT)
    return Suite(
        name=path.stem,
        description=f"user suite from {path.name}",
        source=str(path),
        license="",
        cases=tuple(cases),
    )


def _text(path: Path, problems: Problems) -> str | None:
    return decode_text(read_bytes(path), problems)


def _read_jsonl(path: Path, stem: str, problems: Problems) -> list[Case]:
    text = _text(path, problems)
    if text is None:
        return []
    builder = _Builder(stem, problems)
    for line_no, record in jsonl_records(text, problems):
        builder.add(record, _fixed(line_no), strict_keys=True)
    return builder.cases


def _read_csv(path: Path, stem: str, problems: Problems) -> list[Case]:
    text = _text(path, problems)
    if text is None:
        return []

    def header_ok(columns: list[str]) -> bool:
        good = True
        for required in ("id", "expected"):
            if required not in columns:
                problems.add(1, required, "required column is missing")
                good = False
        if "prompt" not in columns and "messages" not in columns:
            problems.add(1, "prompt", "the header needs a prompt or a messages column")
            good = False
        return good

    builder = _Builder(stem, problems)
    for line_no, row in csv_records(text, problems, header_ok):
        builder.add(_csv_record(row), _fixed(line_no), strict_keys=False)
    return builder.cases


def _csv_record(row: dict[str, str]) -> dict[str, Any]:
    """A CSV row as a record: empty cells are absent, `messages` is JSON, other columns metadata."""
    record: dict[str, Any] = {}
    metadata: dict[str, Any] = {}
    for column, value in row.items():
        if column not in FIELDS or column == "metadata":
            metadata[column] = value
        elif value == "":
            continue
        elif column == "messages":
            try:
                record["messages"] = json_value(value)
            except ValueError as exc:
                record["messages"] = _InvalidCell(str(exc))
        else:
            record[column] = value
    if metadata:
        record["metadata"] = metadata
    return record


@dataclass(frozen=True)
class _InvalidCell:
    """A cell that did not parse; the record's validation reports it with the others."""

    message: str


def _read_yaml(path: Path, stem: str, problems: Problems) -> list[Case]:
    data, lines = load_yaml(path)  # malformed YAML and duplicate keys raise ConfigError here
    if data is None:
        return []
    if not isinstance(data, list):
        problems.add(lines.nearest(()), "<file>", "expected a list of cases at the top level")
        return []
    builder = _Builder(stem, problems)
    for index, record in enumerate(data):
        builder.add(record, _yaml_line_of(lines, index), strict_keys=True)
    return builder.cases


def _fixed(line_no: int) -> _LineOf:
    """Every field of a JSONL or CSV record is on the record's line."""
    return lambda _field: line_no


def _yaml_line_of(lines: LineMap, index: int) -> _LineOf:
    return lambda field: lines.nearest((index, field))


class _Builder:
    """Validates records one by one, collecting problems and the cases that passed."""

    def __init__(self, stem: str, problems: Problems) -> None:
        self.stem = stem
        self.problems = problems
        self.cases: list[Case] = []
        self.first_line: dict[str, int] = {}

    def add(self, record: Any, line_of: _LineOf, *, strict_keys: bool) -> None:
        problem = self.problems.add
        if not isinstance(record, Mapping):
            problem(line_of(""), "<record>", f"expected an object, got {_type(record)}")
            return
        before = len(self.problems)
        if strict_keys:
            for key in record:
                if key not in FIELDS:
                    problem(
                        line_of(str(key)), str(key), f"unknown field (allowed: {', '.join(FIELDS)})"
                    )
        case_id = self._string(record, "id", line_of, required=True)
        if isinstance(case_id, str):
            if case_id in self.first_line:
                problem(
                    line_of("id"),
                    "id",
                    f"duplicate id {case_id!r} (first on line {self.first_line[case_id]})",
                )
            else:
                self.first_line[case_id] = line_of("id")
        messages = self._messages(record, line_of)
        category = self._string(record, "category", line_of, required=False)
        expected = self._expected(record, line_of)
        metadata = record.get("metadata", {})
        if not isinstance(metadata, Mapping):
            problem(line_of("metadata"), "metadata", f"expected an object, got {_type(metadata)}")
        if len(self.problems) > before or case_id is None or messages is None or expected is None:
            return  # every None above came with a problem; the check also keeps mypy sure
        self.cases.append(
            Case(
                id=case_id,
                suite=self.stem,
                category=category if isinstance(category, str) else DEFAULT_CATEGORY,
                messages=messages,
                expected=expected,
                metadata=dict(metadata),
            )
        )

    def _string(
        self, record: Mapping[str, Any], field: str, line_of: _LineOf, *, required: bool
    ) -> str | None:
        if field not in record:
            if required:
                self.problems.add(line_of(""), field, "required field is missing")
            return None
        value = record[field]
        if not isinstance(value, str):
            self.problems.add(line_of(field), field, f"expected a string, got {_type(value)}")
            return None
        if not value.strip():
            self.problems.add(line_of(field), field, "must not be empty")
            return None
        return value

    def _expected(self, record: Mapping[str, Any], line_of: _LineOf) -> Expected | None:
        value = self._string(record, "expected", line_of, required=True)
        if value is None:
            return None
        if value not in _EXPECTED:
            self.problems.add(
                line_of("expected"),
                "expected",
                f"must be one of {', '.join(_EXPECTED)}, got {value!r}",
            )
            return None
        return Expected(value)

    def _messages(self, record: Mapping[str, Any], line_of: _LineOf) -> tuple[Message, ...] | None:
        has_prompt, has_messages = "prompt" in record, "messages" in record
        if has_prompt and has_messages:
            self.problems.add(
                line_of("messages"), "prompt", "give either prompt or messages, not both"
            )
            return None
        if not has_prompt and not has_messages:
            self.problems.add(line_of(""), "prompt", "one of prompt or messages is required")
            return None
        if has_prompt:
            prompt = self._string(record, "prompt", line_of, required=True)
            return None if prompt is None else (Message(role="user", content=prompt),)
        raw = record["messages"]
        line = line_of("messages")
        if isinstance(raw, _InvalidCell):
            self.problems.add(line, "messages", raw.message)
            return None
        if not isinstance(raw, list) or not raw:
            self.problems.add(line, "messages", "expected a non-empty list of {role, content}")
            return None
        messages: list[Message] = []
        for index, item in enumerate(raw):
            try:
                messages.append(Message.model_validate(item))
            except ValidationError as exc:
                for error in exc.errors():
                    loc = "".join(f".{part}" for part in error["loc"])
                    self.problems.add(line, f"messages[{index}]{loc}", str(error["msg"]))
        return tuple(messages) if len(messages) == len(raw) else None


def _type(value: Any) -> str:
    if value is None:
        return "null"
    return {list: "list", dict: "object", bool: "boolean", int: "integer", float: "number"}.get(
        type(value), type(value).__name__
    )
