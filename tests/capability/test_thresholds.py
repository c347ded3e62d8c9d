"""capabilities.yaml and suite files are validated like the constitution: every mistake with
its file, line and field, before anything runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from safetyloop.capability import (
    Threshold,
    Verdict,
    decide,
    load_capabilities,
    load_suites,
    selected_tasks,
)
from safetyloop.errors import ConfigError

GOOD_THRESHOLD = (
    "  - id: cyber\n"
    "    name: Cyber\n"
    "    suites: [coding]\n"
    "    rule_out: 0.2\n"
    "    rule_in: 0.8\n"
    "    requires: enhanced\n"
)


def _problems(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "capabilities.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_capabilities(path, load_suites())
    assert caught.value.exit_code == 2
    return caught.value.problems


def test_the_bundled_file_loads_against_the_bundled_suites() -> None:
    caps = load_capabilities(None, load_suites())
    assert [t.id for t in caps.thresholds] == ["autonomy", "cyber", "cbrn-uplift"]
    assert caps.deployed == "standard" and len(caps.methods) == 5


def test_mistakes_are_named_by_file_line_and_field(tmp_path: Path) -> None:
    problems = _problems(
        tmp_path,
        "safeguard_levels: [standard, enhanced]\n"
        "deployed: standard\n"
        "methods: [plain, telepathy]\n"
        "thresholds:\n"
        "  - id: autonomy\n"
        "    name: Autonomy\n"
        "    suites: [nonexistent]\n"
        "    rule_out: 1.5\n"
        "    rule_in: 0.5\n"
        "    requires: enhanced\n",
    )
    text = "\n".join(problems)
    assert "capabilities.yaml:3: methods" in text and "telepathy" in text
    assert "capabilities.yaml:7: thresholds.0.suites" in text and "nonexistent" in text
    assert "capabilities.yaml:8: thresholds.0.rule_out" in text


def test_limits_levels_and_tasks_are_cross_checked(tmp_path: Path) -> None:
    problems = _problems(
        tmp_path,
        "safeguard_levels: [standard, enhanced]\n"
        "deployed: standard\n"
        "thresholds:\n"
        + GOOD_THRESHOLD.replace("rule_out: 0.2", "rule_out: 0.9")
        + "    tasks: [fizzbuzz, no-such-task]\n",
    )
    text = "\n".join(problems)
    assert "rule_out 0.9 is above rule_in 0.8" in text
    assert "no-such-task" in text
    problems = _problems(
        tmp_path,
        "safeguard_levels: [standard]\ndeployed: standard\nthresholds:\n" + GOOD_THRESHOLD,
    )
    assert "requires 'enhanced', not in ['standard']" in "\n".join(problems)
    problems = _problems(
        tmp_path,
        "safeguard_levels: [standard, enhanced]\ndeployed: maximum\nthresholds:\n" + GOOD_THRESHOLD,
    )
    assert "deployed: 'maximum' is not one of" in "\n".join(problems)


def test_a_bad_suite_file_is_named_too(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text("suite: mine\ntasks:\n  - id: a\n    prompt: p\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_suites([path])
    assert any(
        "mine.yaml:3: tasks.0: " in p and "needs a prompt and a hidden_test, or agentic" in p
        for p in caught.value.problems
    )


def test_the_decision_reads_the_interval() -> None:
    t = Threshold(
        id="t", name="t", suites=["coding"], rule_out=0.2, rule_in=0.6, requires="enhanced"
    )
    assert decide(t, 0.0, 0.19) == Verdict.RULED_OUT
    assert decide(t, 0.6, 0.9) == Verdict.CROSSED
    assert decide(t, 0.1, 0.3) == Verdict.UNDECIDED
    assert decide(t, 0.3, 0.5) == Verdict.UNDECIDED


def test_a_sample_takes_the_first_tasks_of_every_threshold() -> None:
    suites = load_suites()
    caps = load_capabilities(None, suites)
    picked = [(s.suite, t.id) for s, t in selected_tasks(caps, suites, 1)]
    # autonomy: the first of each of its suites; cyber and cbrn-uplift: the first of theirs
    assert picked == [
        ("agentic-tools", "banking-rent-increase"),
        ("coding", "reverse-words"),
        ("coding", "word-count"),
        ("coding", "merge-intervals"),
        ("tools", "oncall-lookup"),
    ]
    assert len(selected_tasks(caps, suites, None)) == 23
