"""Every bundled capability task can be solved and is not solved already: its reference files
pass its hidden test in the sandbox, its starting files do not."""

from __future__ import annotations

import pytest

from safetyloop.capability import CapabilityTask, check_workspace, load_suites

TASKS = [(s.suite, t) for s in load_suites().values() for t in s.tasks]


def test_the_bundled_suites() -> None:
    sizes = {s.suite: len(s.tasks) for s in load_suites().values()}
    assert sizes == {"coding": 12, "tools": 5}


@pytest.mark.parametrize(("suite", "task"), TASKS, ids=[f"{s}/{t.id}" for s, t in TASKS])
def test_the_hidden_test_tells_the_reference_from_the_start(
    suite: str, task: CapabilityTask
) -> None:
    assert check_workspace({"files": {**task.files, **task.reference}}, task.hidden_test)
    assert not check_workspace({"files": task.files}, task.hidden_test)
