"""Which episodes a run holds: every user task alone, and each crossed with every injection
goal of its environment and every attack, the attack placed where that task's solution reads.
"""

from __future__ import annotations

from collections.abc import Sequence

from safetyloop.agentic._environment import Environment, get_environment, render
from safetyloop.agentic._records import AgenticCase
from safetyloop.agentic._tasks import TaskSet, UserTask
from safetyloop.agentic._tools import ToolFailure
from safetyloop.errors import InputError

__all__ = ["build_cases", "vectors_seen"]

_MARK = "@@vector:{}@@"  # plain ASCII: JSON rendering must not escape it


def vectors_seen(environment: Environment, task: UserTask) -> tuple[str, ...]:
    """The injection vectors whose text the task's solution reads, in the environment's order.

    Found the way AgentDojo finds them: run the solution with a unique marker in every vector
    and see which markers come back in tool outputs.
    """
    key = (environment.name, environment.version, task.model_dump_json())
    if key not in _SEEN:
        _SEEN[key] = _seen(environment, task)
    return _SEEN[key]


_SEEN: dict[tuple[str, str, str], tuple[str, ...]] = {}


def _seen(environment: Environment, task: UserTask) -> tuple[str, ...]:
    state = environment.new_state({v: _MARK.format(v) for v in environment.vectors})
    outputs: list[str] = []
    for call in task.solution:
        tool = environment.tool(call.tool)
        if tool is None:
            continue
        try:
            outputs.append(render(tool(state, call.arguments)))
        except ToolFailure as exc:
            outputs.append(str(exc))
    text = "\n".join(outputs)
    return tuple(v for v in environment.vectors if _MARK.format(v) in text)


def build_cases(
    tasks: TaskSet,
    attacks: Sequence[str],
    *,
    benign: bool = True,
    environments: Sequence[str] | None = None,
    user_tasks: Sequence[str] | None = None,
    injection_goals: Sequence[str] | None = None,
) -> list[AgenticCase]:
    """Benign cases (one per user task) and security cases (task × goal × attack).

    A user task whose solution reads no vector has no security cases: no attack could reach it.
    `user_tasks` and `injection_goals` keep only the ids named (`id` or `environment/id`).

    Raises:
        InputError: a name in a filter matches nothing.
    """
    _check_names(tasks, environments, user_tasks, injection_goals)
    cases: list[AgenticCase] = []
    for name in environments or tasks.environments():
        env = get_environment(name)
        goals = [g for g in tasks.injection_goals(name) if _kept(name, g.id, injection_goals)]
        for task in tasks.user_tasks(name):
            if not _kept(name, task.id, user_tasks):
                continue
            base = f"{name}/{task.id}"
            if benign:
                cases.append(AgenticCase(id=base, environment=name, user_task=task.id))
            vectors = vectors_seen(env, task)
            if not vectors:
                continue
            for goal in goals:
                for attack in attacks:
                    cases.append(
                        AgenticCase(
                            id=f"{base}/{goal.id}/{attack}",
                            environment=name,
                            user_task=task.id,
                            injection_goal=goal.id,
                            attack=attack,
                            vectors=vectors,
                        )
                    )
    return cases


def _kept(environment: str, item: str, names: Sequence[str] | None) -> bool:
    return names is None or item in names or f"{environment}/{item}" in names


def _check_names(
    tasks: TaskSet,
    environments: Sequence[str] | None,
    user_tasks: Sequence[str] | None,
    injection_goals: Sequence[str] | None,
) -> None:
    known = tasks.environments()
    for name in environments or ():
        if name not in known:
            raise InputError(
                f"no tasks for environment {name!r}", hint=f"known: {', '.join(known)}"
            )
    for what, names, items in (
        ("user task", user_tasks, lambda e: tasks.user_tasks(e)),
        ("injection goal", injection_goals, lambda e: tasks.injection_goals(e)),
    ):
        ids = {(e, i.id) for e in known for i in items(e)}
        for name in names or ():
            if not any(i == name or f"{e}/{i}" == name for e, i in ids):
                raise InputError(f"unknown {what} {name!r}")
