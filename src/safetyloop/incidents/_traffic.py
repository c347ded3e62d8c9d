"""Traffic logs: logged production prompts, one JSON object a line (format in docs/incidents.md).

    {"id": "t-000123", "timestamp": "2026-03-01T09:14:05Z", "deployment": "writing-assistant-prod",
     "prompt": "...", "category": "fraud"}

`id`, `timestamp`, `deployment` and `prompt` are required; `category` is optional. Every bad line
is reported as `file:line: field: message` (ConfigError, exit 2) before anything runs.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

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
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    entries: list[TrafficEntry] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            entry = TrafficEntry.model_validate(json.loads(line))
        except json.JSONDecodeError as exc:
            problems.append(f"{path}:{number}: not JSON: {exc.msg}")
            continue
        except ValidationError as exc:
            for error in exc.errors():
                field = ".".join(str(p) for p in error["loc"]) or "(line)"
                problems.append(f"{path}:{number}: {field}: {error['msg']}")
            continue
        if entry.id in seen:
            problems.append(f"{path}:{number}: id: duplicate {entry.id!r} (line {seen[entry.id]})")
            continue
        seen[entry.id] = number
        entries.append(entry)
    if problems:
        raise ConfigError(f"{path}: invalid traffic log", problems=problems)
    return entries
