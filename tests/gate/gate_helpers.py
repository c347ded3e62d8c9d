"""Builders for the gate's inputs: a constitution and a `RunEvidence` with chosen outcomes.

The gate is a pure function of (constitution, evidence), so its tests build both directly and
never run a target. Each case is described by its outcome: a scorer label, an error, or an ok
result that was never scored.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from safetyloop.config import Constitution
from safetyloop.engine import CaseResult
from safetyloop.gate import Decision, RunEvidence, evaluate
from safetyloop.scoring import Score
from safetyloop.suites import Case, Expected, Message

SCORER = "refusal_keyword"
ERROR = "<error>"  # the target failed on the case
UNSCORED = "<unscored>"  # the target answered but no verdict was recorded
MISSING = "<missing>"  # the case has no result at all (the run never reached it)

TARGET_VERSION = "t" * 64
SCORER_VERSION = "s" * 64


@dataclass(frozen=True)
class Outcome:
    """How one case ended: `label` is a scorer label or one of ERROR / UNSCORED / MISSING."""

    label: str
    category: str = "general"
    expected: Expected = Expected.REFUSE


def outcomes(
    label: str, count: int, *, category: str = "general", expected: Expected = Expected.REFUSE
) -> list[Outcome]:
    """`count` identical outcomes, for building rates like 3 compliance + 97 refusal."""
    return [Outcome(label, category, expected)] * count


def harmful(
    compliance: int = 0,
    refusal: int = 0,
    partial: int = 0,
    errors: int = 0,
    category: str = "general",
) -> list[Outcome]:
    """Outcomes of harmful requests (expected: refuse)."""
    return (
        outcomes("compliance", compliance, category=category)
        + outcomes("partial", partial, category=category)
        + outcomes("refusal", refusal, category=category)
        + outcomes(ERROR, errors, category=category)
    )


def benign(
    compliance: int = 0, refusal: int = 0, errors: int = 0, category: str = "general"
) -> list[Outcome]:
    """Outcomes of benign requests (expected: comply)."""
    kw: dict[str, Any] = {"category": category, "expected": Expected.COMPLY}
    return (
        outcomes("compliance", compliance, **kw)
        + outcomes("refusal", refusal, **kw)
        + outcomes(ERROR, errors, **kw)
    )


def principle(
    pid: str = "C1",
    *,
    metric: str = "harmful_compliance",
    suites: Iterable[str] = ("harmbench",),
    threshold: float = 0.05,
    comparison: str = "max",
    min_samples: int = 30,
    enforcement: str = "hard",
    max_error_rate: float | None = None,
    severity: str = "critical",
    block_at: float | None = None,
) -> dict[str, Any]:
    """A principle with one criterion, as the dict a YAML file would hold (`threshold` is the
    older name of `warn_at`)."""
    criterion: dict[str, Any] = {
        "metric": metric,
        "suites": list(suites),
        "threshold": threshold,
        "comparison": comparison,
        "min_samples": min_samples,
        "scorer": SCORER,
    }
    if block_at is not None:
        criterion["block_at"] = block_at
    if max_error_rate is not None:
        criterion["max_error_rate"] = max_error_rate
    return {
        "id": pid,
        "name": f"principle {pid}",
        "statement": "test statement",
        "severity": severity,
        "enforcement": enforcement,
        "criteria": [criterion],
    }


def ruled(pid: str, rule: str, *, enforcement: str = "soft") -> dict[str, Any]:
    """A principle enforced by a gate rule (`insufficient_evidence` or `lineage`)."""
    return {
        "id": pid,
        "name": f"principle {pid}",
        "statement": "test statement",
        "severity": "medium",
        "enforcement": enforcement,
        "enforced_by": rule,
    }


def unmeasured(
    pid: str = "C3", *, severity: str = "high", waiver: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A principle with neither criteria nor a rule (and, if given, a waiver)."""
    return {
        "id": pid,
        "name": f"principle {pid}",
        "statement": "test statement",
        "severity": severity,
        "enforcement": "hard",
        "criteria": [],
        **({"waiver": waiver} if waiver is not None else {}),
    }


def constitution(
    *principles: dict[str, Any], confidence: float = 0.95, max_error_rate: float = 0.05
) -> Constitution:
    return Constitution.model_validate(
        {
            "name": "test",
            "confidence": confidence,
            "max_error_rate": max_error_rate,
            "principles": list(principles),
        }
    )


def evidence(
    suites: Mapping[str, list[Outcome]],
    *,
    for_constitution: Constitution,
    run_status: str = "finished",
    target_name: str = "double",
    target_version: str = TARGET_VERSION,
    constitution_hash: str | None = None,
    suite_versions: dict[str, str] | None = None,
    scorer_versions: dict[str, str] | None = None,
) -> RunEvidence:
    """Evidence of a run with the given outcomes per suite and complete lineage by default."""
    cases: list[Case] = []
    results: dict[str, CaseResult] = {}
    scores: dict[str, Score] = {}
    for suite, rows in suites.items():
        for index, row in enumerate(rows):
            case = Case(
                id=f"{index:04d}",
                suite=suite,
                category=row.category,
                messages=(Message(role="user", content=f"prompt {suite} {index}"),),
                expected=row.expected,
            )
            cases.append(case)
            if row.label == MISSING:
                continue
            if row.label == ERROR:
                results[case.key] = CaseResult(
                    case_key=case.key, status="error", error_kind="timeout", error="timed out"
                )
                continue
            results[case.key] = CaseResult(case_key=case.key, status="ok", response="text")
            if row.label != UNSCORED:
                scores[case.key] = Score(label=row.label, confidence=0.9)
    return RunEvidence(
        run_id="run-test",
        run_status=run_status,
        target_name=target_name,
        target_version=target_version,
        constitution_hash=(
            for_constitution.content_hash() if constitution_hash is None else constitution_hash
        ),
        suite_versions=(
            {s: f"v-{s}" for s in suites} if suite_versions is None else suite_versions
        ),
        scorer_versions={SCORER: SCORER_VERSION} if scorer_versions is None else scorer_versions,
        cases=cases,
        results=results,
        scores={SCORER: scores},
    )


def decide(
    suites: Mapping[str, list[Outcome]], *principles: dict[str, Any], **kwargs: Any
) -> Decision:
    """Evaluate the outcomes under a constitution made of `principles`."""
    con = constitution(*principles)
    return evaluate(con, evidence(suites, for_constitution=con, **kwargs))


def fixed_time() -> datetime:
    return datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
