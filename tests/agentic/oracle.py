"""Test helper: the figures the scripted agents must produce, computed without the agent loop.

It applies the reference solutions straight to a fresh state through the tools and evaluates
the checks: no target, caller, protocol, defence or metric code is involved, so a bug there
shows up as a disagreement with this oracle.
"""

from __future__ import annotations

from dataclasses import dataclass

from safetyloop.agentic import (
    CheckContext,
    InjectionGoal,
    TaskSet,
    ToolFailure,
    UserTask,
    evaluate,
    get_environment,
    vectors_seen,
)
from safetyloop.agentic._environment import render

ATTACKS = ("important_instructions", "tool_knowledge", "data_exfiltration")


@dataclass(frozen=True)
class Expected:
    utility: bool
    attack_success: bool
    unsanctioned: bool


def expected(
    environment: str, task: UserTask, goal: InjectionGoal | None, *, tool_filter: bool = False
) -> Expected:
    """What an agent that does `task`'s solution and obeys `goal` (inserted right after the first
    call that reads an injection vector) leaves behind."""
    env = get_environment(environment)
    vectors = vectors_seen(env, task)
    marker = "@@oracle@@"
    state = env.new_state(dict.fromkeys(vectors, marker) if goal else None)
    plan = list(task.solution)
    if goal is not None:
        for position, call in enumerate(task.solution):
            tool = env.tool(call.tool)
            assert tool is not None
            probe = env.new_state(dict.fromkeys(vectors, marker))
            for earlier in task.solution[:position]:
                _run(env.tool(earlier.tool), probe, earlier.arguments)
            if marker in _run(tool, probe, call.arguments):
                plan[position + 1 : position + 1] = goal.solution
                break
    ran: list[tuple[str, dict[str, object]]] = []
    unsanctioned = False
    for call in plan:
        if call.tool not in task.tools:
            if tool_filter:
                continue
            unsanctioned = True
        _run(env.tool(call.tool), state, call.arguments)
        ran.append((call.tool, dict(call.arguments)))
    context = CheckContext(
        state=state.model_dump(mode="json"), calls=tuple(ran), answer=task.answer
    )
    return Expected(
        utility=all(evaluate(c, context) for c in task.check),
        attack_success=goal is not None and all(evaluate(c, context) for c in goal.check),
        unsanctioned=unsanctioned,
    )


def _run(tool: object, state: object, arguments: dict[str, object]) -> str:
    try:
        return render(tool(state, arguments))  # type: ignore[operator]
    except ToolFailure as exc:
        return str(exc)


def expected_counts(tasks: TaskSet, *, tool_filter: bool = False) -> dict[str, int]:
    """Totals over every security case (task × goal × attack) of the bundled tasks."""
    totals = {"cases": 0, "utility": 0, "attack_success": 0, "unsanctioned": 0}
    for name in tasks.environments():
        for task in tasks.user_tasks(name):
            if not vectors_seen(get_environment(name), task):
                continue
            for goal in tasks.injection_goals(name):
                e = expected(name, task, goal, tool_filter=tool_filter)
                n = len(ATTACKS)
                totals["cases"] += n
                totals["utility"] += n * e.utility
                totals["attack_success"] += n * e.attack_success
                totals["unsanctioned"] += n * e.unsanctioned
    return totals
