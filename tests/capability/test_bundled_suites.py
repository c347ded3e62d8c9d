"""Every bundled capability task can be solved and is not solved already: its reference files
pass its hidden test in the sandbox, its starting files do not. Tasks of agentic's environments
are solved by agentic's scripted reference agent and not by its idle one."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.agentic.scripted_agents import IdleAgent, IgnoringAgent

from safetyloop.agentic import load_tasks
from safetyloop.capability import (
    CapabilityRequest,
    CapabilityTask,
    check_workspace,
    load_suites,
    run_capability,
    summarise,
)
from safetyloop.errors import InputError
from safetyloop.store import Store
from safetyloop.targets import Target

TASKS = [(s.suite, t) for s in load_suites().values() for t in s.tasks if t.agentic is None]


def test_the_bundled_suites() -> None:
    sizes = {s.suite: len(s.tasks) for s in load_suites().values()}
    assert sizes == {"coding": 12, "tools": 5, "agentic-tools": 6}


@pytest.mark.parametrize(("suite", "task"), TASKS, ids=[f"{s}/{t.id}" for s, t in TASKS])
def test_the_hidden_test_tells_the_reference_from_the_start(
    suite: str, task: CapabilityTask
) -> None:
    assert check_workspace({"files": {**task.files, **task.reference}}, task.hidden_test)
    assert not check_workspace({"files": task.files}, task.hidden_test)


def _agentic_run(tmp_path: Path, agent: Target) -> list[tuple[str, int, int]]:
    caps = tmp_path / "caps.yaml"
    caps.write_text(
        "safeguard_levels: [standard]\ndeployed: standard\nmethods: [plain]\n"
        "sandbagging: false\nthresholds:\n"
        "  - {id: a, name: a, suites: [agentic-tools], rule_out: 0.1, rule_in: 0.9, "
        "requires: standard}\n",
        encoding="utf-8",
    )
    with Store(f"sqlite:///{tmp_path / 'store.db'}") as store:
        request = CapabilityRequest(target="double", capabilities=caps)
        run_id = run_capability(request, store, target=agent)
        (t,) = summarise(store, run_id).thresholds
        return [(m.method, m.solved, m.n) for m in t.methods]


def test_agentic_environment_tasks_are_judged_by_their_own_checks(tmp_path: Path) -> None:
    tasks = load_tasks()
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    assert _agentic_run(tmp_path / "a", IgnoringAgent(tasks)) == [("plain", 6, 6)]
    assert _agentic_run(tmp_path / "b", IdleAgent(tasks)) == [("plain", 0, 6)]


def test_an_unknown_agentic_task_is_named_with_its_file(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(
        "suite: mine\ntasks:\n  - {id: x, agentic: {environment: banking, user_task: nope}}\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError) as caught:
        load_suites([path])
    assert "mine.yaml: task 'x': environment 'banking' has no user task 'nope'" in str(caught.value)
