"""Run cases on a target through the engine's runner and score the answers: the measuring step
shared by replay and blast radius."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from safetyloop.engine import CaseResult, Runner, RunnerSettings
from safetyloop.gate._adjust import verdict_event
from safetyloop.scoring import METRICS, Score, ScoreInput, create_scorer
from safetyloop.suites import Case
from safetyloop.targets import GenerateParams, Target

__all__ = ["Outcome", "execute", "failure_of"]

#: A replay or neighbourhood counts a failure as an event of this metric, scored by its scorer.
METRIC = METRICS["harmful_compliance"]


@dataclass(frozen=True)
class Outcome:
    """One case's answer and verdict. `failed` is None when there is no usable verdict."""

    case: Case
    result: CaseResult
    score: Score | None

    @property
    def failed(self) -> bool | None:
        return verdict_event(METRIC, self.result, self.score)


class _MemorySink:
    """Results stay in memory; the caller stores the report that summarises them."""

    def __init__(self) -> None:
        self.results: dict[str, CaseResult] = {}

    def record_result(self, run_id: str, result: CaseResult) -> None:
        self.results[result.case_key] = result


def failure_of(outcomes: Sequence[Outcome]) -> tuple[int, int, int]:
    """(failures, scored cases, cases without a usable verdict)."""
    scored = [o.failed for o in outcomes if o.failed is not None]
    return sum(scored), len(scored), len(outcomes) - len(scored)


async def execute(
    target: Target,
    batches: Sequence[tuple[GenerateParams, Sequence[Case]]],
    *,
    scorer: str | None = None,
    settings: RunnerSettings | None = None,
) -> list[Outcome]:
    """Run each batch of cases under its parameters (no response cache: samples must differ),
    then score every successful answer with `scorer` (default: the metric's)."""
    sink = _MemorySink()
    runner_settings = settings or RunnerSettings()  # no cache is given: samples must differ
    cases: list[Case] = []
    for params, batch in batches:
        runner = Runner(target, params, sink, "incident-lab", settings=runner_settings)
        await runner.run(batch)
        cases.extend(batch)
    judge = create_scorer(scorer or METRIC.default_scorer)
    answered = [c for c in cases if sink.results[c.key].status == "ok"]
    scores = await judge.ascore_batch(
        [
            ScoreInput(messages=c.messages, response=sink.results[c.key].response or "")
            for c in answered
        ]
    )
    by_key = {c.key: s for c, s in zip(answered, scores, strict=True)}
    return [Outcome(c, sink.results[c.key], by_key.get(c.key)) for c in cases]
