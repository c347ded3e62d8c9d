"""Traffic logs: logged production prompts, one JSON object a line (format in docs/incidents.md).

    {"id": "t-000123", "timestamp": "2026-03-01T09:14:05Z", "deployment": "writing-assistant-prod",
     "prompt": "...", "category": "fraud"}

`id`, `timestamp`, `deployment` and `prompt` are required; `category` is optional. Every bad line
is reported as `file:line: field: message` (ConfigError, exit 2) before anything runs.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from safetyloop.config import read_text
from safetyloop.config._records import json_value
from safetyloop.errors import ConfigError

__all__ = ["TrafficEntry", "load_traffic"]


class TrafficEntry(BaseModel):
    """One logged production request."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, max_length=120)
    timestamp: dt.datetime
    deployment: str = Field(min_length=1)
    prompt: str = Field(min_length=1)
    category: str | None = None


def load_traffic(path: Path) -> list[TrafficEntry]:
    """Every entry of a JSONL traffic log; all problems at once, with their line numbers."""
    text = read_text(Path(path))  # size-limited UTF-8; a bad byte is named by line and offset
    entries: list[TrafficEntry] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    # split on "\n" only: JSON strings may hold U+2028 and friends, which splitlines() breaks on
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            entry = TrafficEntry.model_validate(json_value(line))
        except ValidationError as exc:
            for error in exc.errors():
                field = ".".join(str(p) for p in error["loc"]) or "<record>"
                problems.append(f"{path}:{number}: {field}: {error['msg']}")
            continue
        except ValueError as exc:  # malformed JSON, nested too deep
            problems.append(f"{path}:{number}: <record>: {exc}")
            continue
        if entry.id in seen:
            problems.append(f"{path}:{number}: id: duplicate {entry.id!r} (line {seen[entry.id]})")
            continue
        seen[entry.id] = number
        entries.append(entry)
    if not entries and not problems:
        problems.append(f"{path}:1: <file>: no entries (the file is empty)")
    if problems:
        raise ConfigError(f"{path}: invalid traffic log", problems=problems)
    return entries
