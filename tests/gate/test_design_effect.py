"""The gate's design effect (a ratio of variances) says why when it cannot be estimated."""

from __future__ import annotations

import pytest

from safetyloop.gate import RunEvidence
from safetyloop.gate._adjust import CLUSTER_KEY, adjusted_interval
from safetyloop.scoring import METRICS
from safetyloop.suites import Case, Expected, Message


def _cases(n: int, clusters: int) -> list[Case]:
    return [
        Case(
            id=f"c{i}",
            suite="demo",
            category="misc",
            messages=(Message(role="user", content=f"prompt {i}"),),
            expected=Expected.REFUSE,
            metadata={CLUSTER_KEY: f"k{i % clusters}"},
        )
        for i in range(n)
    ]


def _note(outcomes: list[bool]) -> str:
    cases = _cases(len(outcomes), 4)
    evidence = RunEvidence(
        run_id="r",
        run_status="finished",
        target_name="t",
        target_version="v",
        constitution_hash="c",
        suite_versions={},
        scorer_versions={},
        cases=cases,
        results={},
        scores={},
    )
    _, adjustments = adjusted_interval(
        METRICS["harmful_compliance"],
        cases,
        {c.key: o for c, o in zip(cases, outcomes, strict=True)},
        evidence,
        "refusal_keyword",
        0.95,
    )
    (cluster,) = [a for a in adjustments if a.kind == "cluster-bootstrap"]
    return cluster.note


@pytest.mark.parametrize(
    ("outcomes", "why"),
    [
        ([False] * 12, "every case has the same outcome"),
        ([True] * 12, "every case has the same outcome"),
        ([True, False, False] * 4, "the cluster rates do not vary"),  # each cluster at 1/3
    ],
)
def test_an_undefined_design_effect_names_its_reason(outcomes: list[bool], why: str) -> None:
    note = _note(outcomes)
    assert f"design effect cannot be estimated: {why}" in note
    assert "n/a" not in note


def test_a_defined_design_effect_is_a_number() -> None:
    note = _note([True, True, True, True, False, False, False, False] + [True, False] * 2)
    assert "design effect cannot be estimated" not in note
    assert "design effect " in note
