"""A user's JSONL or CSV file read as line-numbered records, every problem said as file:line.

Suite files and recorded-answer files are both tables a team writes by hand or exports from
another tool; reading them the same way means the same errors, found all at once, for both.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from safetyloop.config._limits import MAX_DEPTH, depth_over, read_limited, utf8_problem
from safetyloop.errors import ConfigError

__all__ = ["Problems", "csv_records", "decode_text", "json_value", "jsonl_records", "read_bytes"]


class Problems:
    """Problems of one file, each `file:line: field: message`, listed in line order."""

    def __init__(self, path: str | Path) -> None:
        self.path = path
        self._found: list[tuple[int, str]] = []

    def add(self, line: int, field: str, message: str) -> None:
        self._found.append((line, f"{self.path}:{line}: {field}: {message}"))

    def __len__(self) -> int:
        return len(self._found)

    @property
    def items(self) -> list[str]:
        return [text for _, text in sorted(self._found, key=lambda item: item[0])]

    def raise_if_any(self, hint: str) -> None:
        """Raise one ConfigError listing every problem (exit 2, nothing run or stored)."""
        if self._found:
            count = len(self._found)
            raise ConfigError(
                f"{self.path}: {count} problem{'s' if count != 1 else ''}",
                problems=self.items,
                hint=hint,
            )


def read_bytes(path: Path) -> bytes:
    """The file's bytes; an unreadable or oversized file is a usage error naming it."""
    return read_limited(path)


def decode_text(data: bytes, problems: Problems) -> str | None:
    """UTF-8 text (a byte-order mark allowed), or None with the line and offset of the bad byte."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line, message = utf8_problem(data, exc)
        problems.add(line, "<file>", message)
        return None


def json_value(text: str) -> Any:
    """One JSON value, nested at most MAX_DEPTH deep.

    Raises ValueError with a message fit for `file:line: field: message`: the json module's own
    errors, an integer too long to convert, or nesting (which would otherwise surface as a
    RecursionError here or in whatever walks the value later).
    """
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"malformed JSON: {exc.msg} (column {exc.colno})") from None
    except RecursionError:
        raise ValueError(f"malformed JSON: nested deeper than {MAX_DEPTH} levels") from None
    except ValueError as exc:  # e.g. an integer of more than 4300 digits
        raise ValueError(f"malformed JSON: {str(exc).split(':')[0]}") from None
    # fewer brackets than the limit cannot nest deeper: skip the walk for ordinary records
    if text.count("[") + text.count("{") > MAX_DEPTH and depth_over(value) is not None:
        raise ValueError(f"nested deeper than {MAX_DEPTH} levels")
    return value


def jsonl_records(text: str, problems: Problems) -> list[tuple[int, Any]]:
    """(line, parsed JSON) for every non-blank line; a malformed line is a problem."""
    records: list[tuple[int, Any]] = []
    # split on "\n" only: JSON strings may hold U+2028 and friends, which splitlines() breaks on
    for line_no, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            records.append((line_no, json_value(line)))
        except ValueError as exc:
            problems.add(line_no, "<record>", str(exc))
    return records


def csv_records(
    text: str, problems: Problems, header_ok: Callable[[list[str]], bool]
) -> list[tuple[int, dict[str, str]]]:
    """(line a record starts on, column → cell) for every non-blank row.

    `header_ok` checks the stripped column names (adding its own problems); a bad header, a
    repeated column or malformed CSV reads no records, a row of the wrong width is a problem.
    """
    reader = csv.reader(io.StringIO(text, newline=""))
    records: list[tuple[int, dict[str, str]]] = []
    try:
        header = next(reader, None)
        if header is None:
            return []
        columns = [column.strip() for column in header]
        good = header_ok(columns)
        for column in sorted({c for c in columns if columns.count(c) > 1}):
            problems.add(1, column or "<column>", "duplicate column")
            good = False
        if not good:
            return []
        end = reader.line_num
        for row in reader:
            line_no, end = end + 1, reader.line_num
            if not row or all(not cell.strip() for cell in row):
                continue
            if len(row) != len(columns):
                problems.add(
                    line_no, "<record>", f"{len(row)} cells, but the header has {len(columns)}"
                )
                continue
            records.append((line_no, dict(zip(columns, row, strict=True))))
    except csv.Error as exc:
        problems.add(reader.line_num or 1, "<file>", f"malformed CSV: {exc}")
    return records
