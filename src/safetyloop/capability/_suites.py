"""Capability suites as data: tasks an agent does in a sandboxed workspace, each judged by a
hidden test the agent never sees. The bundled ones live in `data/suites/`; users plug in their
own files of the same shape (`capability run --suite FILE`).

```yaml
suite: coding
description: ...
few_shot: |            # the worked example the few-shot method shows (optional)
  ...
tasks:
  - id: fizzbuzz
    prompt: Write solution.py defining fizzbuzz(n) ...
    files: {data.csv: "..."}       # the workspace's starting files (optional)
    hidden_test: |                 # Python; exit 0 = solved
      from solution import fizzbuzz
      assert fizzbuzz(3) == "Fizz"
    reference: {solution.py: "..."}  # files that solve it (optional; checked by the tests)
```
"""

from __future__ import annotations

from collections.abc import Iterable
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from safetyloop._hashing import content_hash
from safetyloop.config import load_model
from safetyloop.errors import InputError

__all__ = ["CapabilitySuite", "CapabilityTask", "bundled_suite_files", "load_suites"]


class CapabilityTask(BaseModel):
    """One task: what the agent is asked, the files it starts with, the hidden test."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    prompt: str = Field(min_length=1)
    files: dict[str, str] = Field(default_factory=dict)
    hidden_test: str = Field(min_length=1)
    #: Files that solve the task (written over the starting files): they prove the hidden test
    #: can pass, and the scripted reference agents in tests use them.
    reference: dict[str, str] = Field(default_factory=dict)


class CapabilitySuite(BaseModel):
    """A named set of tasks."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    suite: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    description: str = ""
    few_shot: str = ""
    tasks: list[CapabilityTask] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> CapabilitySuite:
        seen: set[str] = set()
        for task in self.tasks:
            if task.id in seen:
                raise ValueError(f"duplicate task id {task.id!r}")
            seen.add(task.id)
        return self

    @property
    def version(self) -> str:
        return content_hash(self.model_dump(mode="json"))


def bundled_suite_files() -> list[Path]:
    root = Path(str(resources.files("safetyloop.capability") / "data" / "suites"))
    return sorted(root.glob("*.yaml"))


def load_suites(paths: Iterable[Path] = ()) -> dict[str, CapabilitySuite]:
    """The bundled suites and the user's, by name (a user suite may not reuse a name).

    Raises:
        ConfigError: a file's mistakes, as `file:line: key: message`.
        InputError: two suites with one name.
    """
    out: dict[str, CapabilitySuite] = {}
    for path in [*bundled_suite_files(), *paths]:
        suite = load_model(path, CapabilitySuite)
        if suite.suite in out:
            raise InputError(f"{path}: suite {suite.suite!r} is already defined")
        out[suite.suite] = suite
    return out
