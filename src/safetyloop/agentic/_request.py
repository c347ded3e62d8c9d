"""The one call behind `safetyloop agent run`: build the target, load the tasks, run, save.

`agent run` stores the run (`_stored`); it can also export it as one JSON file (every
trajectory, outcome and rate) that `agent show` reads back; reading refuses a file that is not
such a record, naming it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from safetyloop.agentic._records import Outcome, Trajectory
from safetyloop.agentic._run import AgenticRun, AgentRunConfig, run_agentic
from safetyloop.agentic._tasks import load_tasks
from safetyloop.config import read_text
from safetyloop.engine import RunnerSettings
from safetyloop.errors import InputError
from safetyloop.targets import build_target

__all__ = ["AgentRunRequest", "read_run", "run_agent", "write_run"]


class AgentRunRequest(BaseModel):
    """Everything `agent run` needs.

    Attributes:
        target: A target spec or a name declared in `targets_file`.
        task_files: Task files to run (the bundled ones when empty).
        config: Cases, defences and limits.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    target: str = "local"
    targets_file: Path | None = None
    task_files: list[Path] = Field(default_factory=list)
    config: AgentRunConfig = Field(default_factory=AgentRunConfig)
    runner: RunnerSettings = Field(default_factory=RunnerSettings)


def run_agent(
    request: AgentRunRequest,
    on_result: Callable[[Trajectory, Outcome], None] | None = None,
) -> AgenticRun:
    """Run the request's target as an agent on its tasks; the target is closed afterwards."""
    tasks = load_tasks(request.task_files or None)
    target = build_target(request.target, request.targets_file)

    async def go() -> AgenticRun:
        try:
            return await run_agentic(
                target, tasks, request.config, settings=request.runner, on_result=on_result
            )
        finally:
            await target.aclose()

    return asyncio.run(go())


def write_run(run: AgenticRun, path: Path) -> None:
    """Save `run` as JSON at `path` (a stored run's id and status are the store's, not kept)."""
    fields = set(AgenticRun.model_fields)
    path.write_text(run.model_dump_json(indent=1, include=fields), encoding="utf-8")


def read_run(path: Path) -> AgenticRun:
    """A run saved by `write_run`.

    Raises:
        InputError: the file is missing or is not a saved agentic run.
    """
    if not path.is_file():
        raise InputError(f"{path}: no such file", hint="give the file `agent run --out` wrote")
    try:
        return AgenticRun.model_validate_json(read_text(path))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "<root>"
        raise InputError(
            f"{path}: not a saved agentic run ({where}: {first['msg']})",
            hint="give the file `agent run --out` wrote",
        ) from None
