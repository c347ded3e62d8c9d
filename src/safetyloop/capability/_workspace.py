"""The one bridge to the agentic stage: a sandboxed file workspace as an agentic environment,
and an episode in it run by agentic's own loop.

Capability tasks and sabotage pairs both happen in a folder of files the agent reads, writes
and runs Python over (`agentic.sandbox`), with one outbound tool (`send_file`) whose use is
recorded. Everything agentic offers (the loop, native tool calling or the text protocol, the
trajectory records, the sandbox) is used as it is; this module only adds the world. Sabotage
imports it from here, so the two stages share one definition.

A verdict is a Python check run in the sandbox over the files the episode left (and
`_sent.json`, the transfers it made): exit 0 holds, anything else does not.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from safetyloop._hashing import content_hash
from safetyloop.agentic import (
    AgenticCase,
    AgentLimits,
    Environment,
    Episode,
    TaskSet,
    Tool,
    ToolFailure,
    Trajectory,
    UserTask,
    get_environment,
    load_tasks,
    run_episode,
    score_trajectory,
    tool,
)
from safetyloop.agentic.sandbox import SandboxLimits, SandboxResult, run_in_sandbox
from safetyloop.engine import RunnerSettings
from safetyloop.errors import InputError
from safetyloop.targets import GenerateParams, Target

__all__ = [
    "SENT_FILE",
    "Workspace",
    "WorkspaceState",
    "agentic_user_task",
    "check_workspace",
    "run_agentic_task_episode",
    "run_workspace_episode",
]

#: Where a check finds the transfers the episode made (a JSON list of {path, destination}).
SENT_FILE = "_sent.json"
_MAX_FILE_CHARS = 200_000
_IMPORTABLE = "import sys; sys.path.insert(0, '')\n"


class Transfer(BaseModel):
    path: str
    destination: str


class WorkspaceState(BaseModel):
    """The folder (path → text) and every file the agent sent out."""

    files: dict[str, str] = Field(default_factory=dict)
    sent: list[Transfer] = Field(default_factory=list)


def _safe(path: str) -> str:
    parts = Path(path).parts
    if not parts or Path(path).is_absolute() or ".." in parts or path.startswith("_sent"):
        raise ToolFailure(f"{path!r} is not a path inside the workspace")
    return str(Path(*parts))


def list_files(state: WorkspaceState) -> list[str]:
    """List every file in the workspace."""
    return sorted(state.files)


def read_file(state: WorkspaceState, path: str) -> str:
    """Read a file of the workspace.

    Args:
        path: The file's path, relative to the workspace.
    """
    name = _safe(path)
    if name not in state.files:
        raise ToolFailure(f"no file {path!r}")
    return state.files[name]


def write_file(state: WorkspaceState, path: str, content: str) -> str:
    """Write (create or replace) a file of the workspace.

    Args:
        path: The file's path, relative to the workspace.
        content: The file's whole new text.
    """
    if len(content) > _MAX_FILE_CHARS:
        raise ToolFailure(f"a file holds at most {_MAX_FILE_CHARS} characters")
    state.files[_safe(path)] = content
    return f"wrote {len(content)} characters to {path}"


def run_python(state: WorkspaceState, code: str) -> str:
    """Run Python code in a sandbox over a copy of the workspace (no network, 10 s) and return
    its exit status, stdout and stderr. Files it writes are kept in the workspace.

    Args:
        code: The Python source to run; the workspace is the current folder.
    """
    result, files = _sandboxed(state, code, SandboxLimits())
    state.files = files
    head = "timed out" if result.timed_out else f"exit code {result.exit_code}"
    return "\n".join(p for p in (head, result.stdout.rstrip(), result.stderr.rstrip()) if p)


def send_file(state: WorkspaceState, path: str, destination: str) -> str:
    """Send a file of the workspace to an outside destination (a URL or an address).

    Args:
        path: The file to send.
        destination: Where it goes.
    """
    name = _safe(path)
    if name not in state.files:
        raise ToolFailure(f"no file {path!r}")
    state.sent.append(Transfer(path=name, destination=destination))
    return f"sent {path} to {destination}"


TOOLS: tuple[Tool, ...] = tuple(
    tool(f) for f in (list_files, read_file, write_file, run_python, send_file)
)


def _sandboxed(
    state: WorkspaceState, code: str, limits: SandboxLimits
) -> tuple[SandboxResult, dict[str, str]]:
    """Run `code` over the files written into a private folder; the files it leaves."""
    with tempfile.TemporaryDirectory(prefix="safetyloop-workspace-") as folder:
        root = Path(folder)
        root.chmod(0o777)  # the sandbox's own uid writes here when the runner is root
        for name, text in state.files.items():
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            path.chmod(0o666)
        (root / SENT_FILE).write_text(
            json.dumps([t.model_dump() for t in state.sent]), encoding="utf-8"
        )
        for sub in root.rglob("*"):
            if sub.is_dir():
                sub.chmod(0o777)
        # `python -I` leaves the current folder off sys.path; the workspace's modules import
        result = run_in_sandbox(_IMPORTABLE + code, language="python", limits=limits, workdir=root)
        files: dict[str, str] = {}
        for path in sorted(root.rglob("*")):
            rel = str(path.relative_to(root))
            if path.is_file() and rel != SENT_FILE and "__pycache__" not in path.parts:
                try:
                    files[rel] = path.read_text(encoding="utf-8")[:_MAX_FILE_CHARS]
                except UnicodeDecodeError:
                    continue
        return result, files


def check_workspace(state: Mapping[str, Any], code: str, wall_s: float = 20.0) -> bool:
    """Whether `code` (a hidden test or a side-task check) exits 0 over the final state."""
    workspace = WorkspaceState.model_validate(state)
    result, _ = _sandboxed(workspace, code, SandboxLimits(wall_s=wall_s, cpu_s=10))
    return result.ok


@dataclass(eq=False)
class Workspace(Environment):
    """A workspace environment whose starting files are given, not read from a data folder.

    Agentic's loop builds every episode's state with `new_state`: here from `starting_files`.
    """

    starting_files: dict[str, str] = field(default_factory=dict)

    @cached_property
    def _raw(self) -> Any:
        return {"files": dict(self.starting_files), "sent": []}

    @cached_property
    def vectors(self) -> dict[str, str]:
        return {}


def workspace(name: str, files: Mapping[str, str], tools: Sequence[str]) -> Workspace:
    """A workspace offering only `tools` (agentic's loop offers every tool of its world)."""
    offered = tuple(t for t in TOOLS if t.name in tools)
    return Workspace(name, WorkspaceState, offered, Path("."), starting_files=dict(files))


@dataclass(frozen=True)
class WorkspaceTask:
    """One episode to run in a workspace: its id, the prompt, the files, the tools offered."""

    id: str
    prompt: str
    files: Mapping[str, str]
    tools: Sequence[str] = ("list_files", "read_file", "write_file", "run_python")

    @property
    def version(self) -> str:
        return content_hash(
            {"prompt": self.prompt, "files": dict(self.files), "tools": list(self.tools)}
        )


async def run_workspace_episode(
    target: Target,
    task: WorkspaceTask,
    *,
    params: GenerateParams,
    limits: AgentLimits,
    settings: RunnerSettings | None = None,
    agent: str = "",
) -> Trajectory:
    """One episode of `target` on `task`, through agentic's loop (the world's state is
    returned in the trajectory's `final_state`)."""
    env = workspace(f"workspace/{task.id}", task.files, task.tools)
    # judged by hidden checks in the sandbox, not agentic's declarative checks: none are given
    user_task = UserTask.model_construct(
        id=task.id, prompt=task.prompt, tools=list(task.tools), solution=[], answer=None, check=[]
    )
    case = AgenticCase(id=task.id, environment=env.name, user_task=task.id)
    episode = Episode(
        case=case, environment=env, task=user_task, injections={}, agent_version=agent
    )
    return await run_episode(target, episode, params, limits, settings)


@cache
def _bundled() -> TaskSet:
    return load_tasks()


def agentic_user_task(environment: str, user_task: str) -> UserTask:
    """A bundled user task of one of agentic's environments.

    Raises:
        InputError: no such environment or task.
    """
    get_environment(environment)
    found = next((t for t in _bundled().user_tasks(environment) if t.id == user_task), None)
    if found is None:
        raise InputError(f"environment {environment!r} has no user task {user_task!r}")
    return found


async def run_agentic_task_episode(
    target: Target,
    case_id: str,
    environment: str,
    user_task: str,
    prompt: str,
    *,
    params: GenerateParams,
    limits: AgentLimits,
    settings: RunnerSettings | None = None,
    agent: str = "",
) -> tuple[Trajectory, bool | None]:
    """One episode of a user task of an agentic environment, asked as `prompt`, and whether its
    own check holds over the final state (None: the episode ended in a provider error)."""
    env = get_environment(environment)
    task = agentic_user_task(environment, user_task).model_copy(update={"prompt": prompt})
    case = AgenticCase(id=case_id, environment=environment, user_task=user_task)
    episode = Episode(case=case, environment=env, task=task, injections={}, agent_version=agent)
    trajectory = await run_episode(target, episode, params, limits, settings)
    return trajectory, score_trajectory(trajectory, task, None).utility
