"""What do the environment and the scoring cost per agent step? (goal: under 2 ms)

A real model takes 0.1–10 s a turn, so the agent loop's own work only matters if it is a visible
share of that. This bench replays every bundled case (41 benign, 699 attacked) with the
reference solution as the "model", and times separately:

* environment + scoring: a fresh state per episode (injections placed), per step the action's
  parsing, argument validation, the tool on the state, rendering the result, the defences; per
  episode the final state's dump and the state checks — divided by the number of steps;
* the whole loop per step with an instant scripted agent, which adds the engine's `Caller`
  (one single-case runner per turn: retries, timeouts, cache bookkeeping) — for context.

    .venv/bin/python bench/agentic_overhead.py
    .venv/bin/python bench/agentic_overhead.py --defences tool_filter spotlight injection_detector
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # for tests.agentic when run as a plain script

from tests.agentic.scripted_agents import ObeyingAgent  # noqa: E402

from safetyloop.agentic import (  # noqa: E402
    AgenticCase,
    AgentRunConfig,
    Episode,
    Step,
    TaskSet,
    Trajectory,
    build_cases,
    build_defences,
    get_attack,
    get_environment,
    load_tasks,
    parse_action,
    run_agentic,
    score_trajectory,
)
from safetyloop.agentic._loop import _EpisodeState  # noqa: E402  (the loop's own step machinery)
from safetyloop.targets import ToolCall  # noqa: E402

ATTACKS = ["important_instructions", "tool_knowledge", "data_exfiltration"]


def replay(tasks: TaskSet, cases: list[AgenticCase], defences: list[str]) -> tuple[int, float]:
    """Steps replayed and seconds spent in environment + scoring work for all of them."""
    guards = build_defences(defences)
    steps = 0
    started = time.perf_counter()
    for case in cases:
        env = get_environment(case.environment)
        task = next(t for t in tasks.user_tasks(case.environment) if t.id == case.user_task)
        goal = next(
            (g for g in tasks.injection_goals(case.environment) if g.id == case.injection_goal),
            None,
        )
        injections = {}
        if goal is not None and case.attack is not None:
            injections = dict.fromkeys(case.vectors, get_attack(case.attack).render(goal))
        runner = _EpisodeState(Episode(case, env, task, injections, guards), native=False)
        records = []
        for index, call in enumerate(task.solution):
            action = parse_action(json.dumps({"tool": call.tool, "arguments": call.arguments}))
            assert not hasattr(action, "reason"), action
            execution = runner.execute(
                ToolCall(id=f"c{index}", name=call.tool, arguments=call.arguments)
            )
            runner.messages.append(runner.tool_message(execution))
            records.append(Step(index=index, executions=(execution,)))
        steps += len(records) + 1  # the final answer is a step too
        trajectory = Trajectory(
            case=case,
            agent="bench",
            steps=tuple(records),
            status="done",
            final_answer=task.answer,
            final_state=runner.state.model_dump(mode="json"),
        )
        score_trajectory(trajectory, task, goal)
    return steps, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--defences", nargs="*", default=[], help="defences to include")
    parser.add_argument("--rounds", type=int, default=3, help="replays; the fastest is reported")
    args = parser.parse_args()
    tasks = load_tasks()
    cases = build_cases(tasks, ATTACKS)
    replay(tasks, cases[:20], args.defences)  # warm caches and imports
    best = min(
        (replay(tasks, cases, args.defences) for _ in range(args.rounds)), key=lambda r: r[1]
    )
    steps, seconds = best
    per_step_ms = seconds / steps * 1000
    print(f"cases: {len(cases)}, steps: {steps}, defences: {args.defences or 'none'}")
    print(f"environment + scoring: {per_step_ms:.3f} ms per step (goal < 2 ms)")
    config = AgentRunConfig(attacks=ATTACKS, defences=args.defences, concurrency=8)
    started = time.perf_counter()
    run = asyncio.run(run_agentic(ObeyingAgent(tasks), tasks, config))
    total = time.perf_counter() - started
    loop_steps = sum(len(t.steps) for t in run.trajectories)
    print(
        f"whole loop with an instant scripted agent (incl. the engine's Caller, metrics): "
        f"{total / loop_steps * 1000:.3f} ms per step over {loop_steps} steps"
    )
    if per_step_ms >= 2.0:
        raise SystemExit(f"over budget: {per_step_ms:.3f} ms per step")


if __name__ == "__main__":
    main()
