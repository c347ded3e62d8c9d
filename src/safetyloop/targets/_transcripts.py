"""Files of answers a team already has: logged traffic, another tool's outputs, labelled sets.

One record per answer, in JSONL (one object a line) or CSV (a header row):

* `response` (required, not empty): the answer as the model gave it;
* `id` (a case id, or a `suite/id` case key) and/or `prompt` (the user's message): which case
  the answer belongs to. A record with an `id` is matched on it; one without, on its prompt;
* `model` (optional): whose answer it is, when one file holds several models' answers.

Other fields (a human `label`, timestamps...) are kept in `fields` for whoever reads them. The
file is checked whole before anything runs: every problem is reported as `file:line: field:
message`, and one duplicate answer for the same case and model is a problem, not a choice.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from safetyloop.config._records import (
    Problems,
    csv_records,
    decode_text,
    jsonl_records,
    read_bytes,
)
from safetyloop.errors import InputError

__all__ = ["Transcript", "TranscriptFile", "read_transcripts"]

_HINT = "see docs/truth.md (recorded answers) for the file format; nothing was run"
_KEYS = ("id", "prompt", "model")


@dataclass(frozen=True)
class Transcript:
    """One recorded answer and the line it was read from."""

    line: int
    response: str
    case_id: str | None
    prompt: str | None
    model: str | None
    fields: Mapping[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str]:
        """What the answer is matched on: ("id", id) when it has one, else ("prompt", prompt)."""
        if self.case_id is not None:
            return ("id", self.case_id)
        assert self.prompt is not None
        return ("prompt", self.prompt)


@dataclass(frozen=True)
class TranscriptFile:
    """A validated file of answers; `sha256` (of its bytes) versions everything built on it."""

    path: Path
    sha256: str
    rows: tuple[Transcript, ...]

    def models(self) -> list[str]:
        """The distinct model names in the file (empty when no record names one)."""
        return sorted({r.model for r in self.rows if r.model is not None})

    def for_model(self, model: str | None) -> list[Transcript]:
        """The answers of `model`; with None, every answer of a file that holds one model.

        Raises:
            InputError: `model` is not in the file, or None was given for a file that mixes
                several models' answers (which one would be gated is a choice for the user).
        """
        models = self.models()
        if model is None:
            if len(models) > 1:
                raise InputError(
                    f"{self.path} holds the answers of {len(models)} models "
                    f"({', '.join(models)}): choose one",
                    hint=f"use recorded:{self.path}#MODEL",
                )
            return list(self.rows)
        rows = [r for r in self.rows if r.model == model]
        if not rows:
            known = ", ".join(models) if models else "none: the file has no model field"
            raise InputError(f"{self.path} has no answers of model {model!r} (models: {known})")
        return rows


def read_transcripts(path: str | Path) -> TranscriptFile:
    """Read and check a JSONL or CSV file of recorded answers (see the module docstring).

    Raises:
        InputError: the file is missing, unreadable or of an unknown type.
        ConfigError: one or more records are invalid; `problems` lists each as file:line.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".jsonl", ".csv"):
        raise InputError(
            f"{path}: unsupported answers file type {suffix or '(none)'!r}",
            hint="use a .jsonl or .csv file",
        )
    data = read_bytes(path)
    problems = Problems(path)
    text = decode_text(data, problems) or ""
    records = jsonl_records(text, problems) if suffix == ".jsonl" else _csv(text, problems)
    rows = _validate(records, problems)
    if not problems and not rows:
        problems.add(1, "<file>", "no answers (the file is empty)")
    problems.raise_if_any(_HINT)
    return TranscriptFile(path, hashlib.sha256(data).hexdigest(), tuple(rows))


def _csv(text: str, problems: Problems) -> list[tuple[int, Any]]:
    def header_ok(columns: list[str]) -> bool:
        good = True
        if "response" not in columns:
            problems.add(1, "response", "required column is missing")
            good = False
        if "id" not in columns and "prompt" not in columns:
            problems.add(1, "id", "the header needs an id or a prompt column")
            good = False
        return good

    # an empty id or prompt cell is absent; an empty response is reported as such
    return [
        (line, {c: v for c, v in row.items() if v != "" or c == "response"})
        for line, row in csv_records(text, problems, header_ok)
    ]


def _validate(records: list[tuple[int, Any]], problems: Problems) -> list[Transcript]:
    rows: list[Transcript] = []
    first: dict[tuple[str | None, str, str], int] = {}
    for line, record in records:
        if not isinstance(record, Mapping):
            problems.add(line, "<record>", f"expected an object, got {type(record).__name__}")
            continue
        before = len(problems)
        response = record.get("response")
        if "response" not in record:
            problems.add(line, "response", "required field is missing")
        elif not isinstance(response, str):
            problems.add(line, "response", f"expected a string, got {type(response).__name__}")
        elif not response.strip():
            problems.add(line, "response", "must not be empty: an empty answer is not an answer")
        values: dict[str, str | None] = {}
        reported = len(problems)
        for name in _KEYS:
            value = record.get(name)
            if isinstance(value, int) and not isinstance(value, bool) and name == "id":
                value = str(value)
            if value is not None and not (isinstance(value, str) and value.strip()):
                problems.add(line, name, "must be a non-empty string when given")
                value = None
            values[name] = value
        if values["id"] is None and values["prompt"] is None and len(problems) == reported:
            problems.add(line, "id", "give the case id or the prompt the answer belongs to")
        if len(problems) > before:
            continue
        assert isinstance(response, str)
        row = Transcript(
            line=line,
            response=response,
            case_id=values["id"],
            prompt=values["prompt"],
            model=values["model"],
            fields=dict(record),
        )
        kind, key = row.key
        seen = first.setdefault((row.model, kind, key), line)
        if seen != line:
            who = f" of model {row.model!r}" if row.model else ""
            problems.add(
                line, kind, f"duplicate answer{who} for {kind} {key!r} (first on line {seen})"
            )
            continue
        rows.append(row)
    return rows
