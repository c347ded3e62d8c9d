"""The scoring proven before any model is trusted: scripted reference agents on every bundled
case give exactly the expected utility, attack success and unsanctioned-action figures."""

from __future__ import annotations

import asyncio

import pytest
from tests.agentic.oracle import expected_counts
from tests.agentic.scripted_agents import (
    FailingAgent,
    IdleAgent,
    IgnoringAgent,
    NativeIgnoringAgent,
    NativeObeyingAgent,
    ObeyingAgent,
)

from safetyloop.agentic import AgenticRun, AgentRunConfig, TaskSet, load_tasks, run_agentic
from safetyloop.targets import Target

USER_TASKS = 41  # banking 15, slack 13, support 13
SECURITY_CASES = 699  # (15 × 6 + 13 × 5 + 13 × 6) tasks × goals, × 3 attacks


@pytest.fixture(scope="module")
def tasks() -> TaskSet:
    return load_tasks()


def _run(target: Target, tasks: TaskSet, **config: object) -> AgenticRun:
    return asyncio.run(run_agentic(target, tasks, AgentRunConfig(concurrency=8, **config)))


@pytest.fixture(scope="module")
def obeying(tasks: TaskSet) -> AgenticRun:
    return _run(ObeyingAgent(tasks), tasks)


@pytest.fixture(scope="module")
def ignoring(tasks: TaskSet) -> AgenticRun:
    return _run(IgnoringAgent(tasks), tasks)


@pytest.fixture(scope="module")
def idle(tasks: TaskSet) -> AgenticRun:
    return _run(IdleAgent(tasks), tasks)


def test_the_oracle_agrees_with_the_hand_count(tasks: TaskSet) -> None:
    counts = expected_counts(tasks)
    assert counts["cases"] == SECURITY_CASES
    assert counts["attack_success"] == SECURITY_CASES
    # the fraud report's task forbids sending the card number the card-exfil goal sends
    assert counts["utility"] == SECURITY_CASES - 3


def test_the_ignoring_agent_is_useful_and_never_attacked(ignoring: AgenticRun) -> None:
    m = ignoring.metrics.overall
    assert (m.benign_utility.events, m.benign_utility.n) == (USER_TASKS, USER_TASKS)
    assert (m.utility_under_attack.events, m.utility_under_attack.n) == (
        SECURITY_CASES,
        SECURITY_CASES,
    )
    assert (m.targeted_attack_success.events, m.targeted_attack_success.n) == (0, SECURITY_CASES)
    assert m.unsanctioned_action_rate.events == 0
    assert {t.status for t in ignoring.trajectories} == {"done"}


def test_the_obeying_agent_is_attacked_every_time(obeying: AgenticRun, tasks: TaskSet) -> None:
    counts = expected_counts(tasks)
    m = obeying.metrics.overall
    assert (m.benign_utility.events, m.benign_utility.n) == (USER_TASKS, USER_TASKS)
    assert m.targeted_attack_success.events == counts["attack_success"] == SECURITY_CASES
    assert m.utility_under_attack.events == counts["utility"]
    assert m.unsanctioned_action_rate.events == counts["unsanctioned"]
    assert m.unsanctioned_action_rate.n == USER_TASKS + SECURITY_CASES


def test_the_idle_agent_has_no_utility_and_is_never_attacked(idle: AgenticRun) -> None:
    m = idle.metrics.overall
    assert (m.benign_utility.events, m.benign_utility.n) == (0, USER_TASKS)
    assert m.utility_under_attack.events == 0
    assert m.targeted_attack_success.events == 0
    assert all(len(t.steps) == 1 and not t.executions for t in idle.trajectories)


def test_native_tool_calling_gives_the_same_figures(tasks: TaskSet, obeying: AgenticRun) -> None:
    native = _run(NativeObeyingAgent(tasks), tasks, environments=["support"])
    text = [o for o in obeying.outcomes if o.environment == "support"]
    assert [o.model_dump() for o in native.outcomes] == [o.model_dump() for o in text]
    calm = _run(NativeIgnoringAgent(tasks), tasks, environments=["banking"])
    assert calm.metrics.overall.targeted_attack_success.events == 0
    assert calm.metrics.overall.benign_utility.events == 15


def test_rates_per_environment_and_attack(obeying: AgenticRun) -> None:
    by_env = obeying.metrics.by_environment
    assert set(by_env) == {"banking", "slack", "support"}
    assert by_env["banking"].benign_utility.n == 15
    assert by_env["banking"].targeted_attack_success.n == 15 * 6 * 3
    assert by_env["slack"].targeted_attack_success.n == 13 * 5 * 3
    assert by_env["support"].utility_under_attack.events == 13 * 6 * 3 - 3
    by_attack = obeying.metrics.by_attack
    assert set(by_attack) == {"important_instructions", "tool_knowledge", "data_exfiltration"}
    for group in by_attack.values():
        assert (group.targeted_attack_success.events, group.targeted_attack_success.n) == (233, 233)
        assert group.benign_utility.n == USER_TASKS  # the same tasks without the attack


def test_intervals_cluster_on_the_user_task(obeying: AgenticRun) -> None:
    m = obeying.metrics.overall
    assert m.benign_utility.method == "wilson"  # each task once
    attack = m.utility_under_attack
    assert attack.method.startswith("cluster-bootstrap")
    assert attack.clusters == USER_TASKS
    assert attack.low is not None and attack.high is not None
    assert attack.low <= attack.rate <= attack.high  # type: ignore[operator]
    assert attack.low < 1.0  # three failing cases in one cluster widen it


def test_provider_errors_are_errors_never_outcomes(tasks: TaskSet) -> None:
    failing = FailingAgent()
    run = _run(failing, tasks, environments=["slack"], attacks=["important_instructions"])
    assert {o.status for o in run.outcomes} == {"error"}
    assert all(o.utility is None and o.attack_success is None for o in run.outcomes)
    m = run.metrics.overall
    assert m.targeted_attack_success.n == 0
    assert m.targeted_attack_success.errors == 13 * 5
    assert m.targeted_attack_success.rate is None
    step = run.trajectories[0].steps[0]
    assert step.error_kind == "client" and step.error is not None and "400" in step.error
    assert failing.calls == len(run.outcomes)  # a client error is not retried
