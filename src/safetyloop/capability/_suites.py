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


class AgenticTask(BaseModel):
    """A user task of one of agentic's environments, judged by its own check over the state."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    environment: str = Field(min_length=1)
    user_task: str = Field(min_length=1)


class CapabilityTask(BaseModel):
    """One task: what the agent is asked, the files it starts with, the hidden test; or a user
    task of an agentic environment (`agentic`), whose prompt and check are that task's."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    prompt: str = ""
    files: dict[str, str] = Field(default_factory=dict)
    hidden_test: str = ""
    agentic: AgenticTask | None = None
    #: Files that solve the task (written over the starting files): they prove the hidden test
    #: can pass, and the scripted reference agents in tests use them.
    reference: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _one_kind(self) -> CapabilityTask:
        if self.agentic is None and not (self.prompt and self.hidden_test):
            raise ValueError("a task needs a prompt and a hidden_test, or agentic")
        if self.agentic is not None and (self.hidden_test or self.files):
            raise ValueError("an agentic task takes its state and check from its environment")
        return self


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
        suite = _with_agentic_prompts(path, load_model(path, CapabilitySuite))
        if suite.suite in out:
            raise InputError(f"{path}: suite {suite.suite!r} is already defined")
        out[suite.suite] = suite
    return out


def _with_agentic_prompts(path: Path, suite: CapabilitySuite) -> CapabilitySuite:
    """Agentic tasks take their prompt from their environment's user task.

    Raises:
        InputError: an unknown environment or user task.
    """
    if not any(t.agentic for t in suite.tasks):
        return suite
    from safetyloop.capability._workspace import agentic_user_task

    tasks = []
    for task in suite.tasks:
        if task.agentic is not None:
            try:
                user = agentic_user_task(task.agentic.environment, task.agentic.user_task)
            except InputError as exc:
                raise InputError(f"{path}: task {task.id!r}: {exc.message}", exc.hint) from None
            task = task.model_copy(update={"prompt": user.prompt})
        tasks.append(task)
    return suite.model_copy(update={"tasks": tasks})
