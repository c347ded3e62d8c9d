"""Which episodes a run holds: every user task alone, and each crossed with every injection
goal of its environment and every attack, the attack placed where that task's solution reads.
"""

from __future__ import annotations

from collections.abc import Sequence

from safetyloop.agentic._environment import Environment, get_environment, render
from safetyloop.agentic._records import AgenticCase
from safetyloop.agentic._tasks import TaskSet, UserTask
from safetyloop.agentic._tools import ToolFailure

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
) -> list[AgenticCase]:
    """Benign cases (one per user task) and security cases (task × goal × attack).

    A user task whose solution reads no vector has no security cases: no attack could reach it.
    """
    cases: list[AgenticCase] = []
    for name in environments or tasks.environments():
        env = get_environment(name)
        goals = tasks.injection_goals(name)
        for task in tasks.user_tasks(name):
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
