"""`Runner.stream`: a fixed pool of workers, each case sent once, results left to the sink."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest
from tests.engine.test_runner_faults import MemorySink, make_case

from safetyloop.engine import Runner, RunnerSettings
from safetyloop.suites import Case, Message
from safetyloop.targets import GenerateParams, Target, TargetResponse


class InFlightDouble(Target):
    """Test double: answers after a short sleep and records the most requests in flight."""

    kind = "in-flight-double"
    cacheable = False

    def __init__(self) -> None:
        super().__init__("in-flight", {"double": "in-flight"})
        self.in_flight = 0
        self.most = 0
        self.sent: list[str] = []

    async def generate(self, messages: Sequence[Message], params: GenerateParams) -> TargetResponse:
        self.in_flight += 1
        self.most = max(self.most, self.in_flight)
        self.sent.append(messages[-1].content)
        await asyncio.sleep(0.001)
        self.in_flight -= 1
        return TargetResponse(text=f"answer to {messages[-1].content}")


def test_stream_sends_each_case_once_within_the_limit() -> None:
    target, sink = InFlightDouble(), MemorySink()
    cases = (make_case(f"p{i}") for i in range(200))  # a generator: never held as a list
    runner = Runner(target, GenerateParams(), sink, "r", settings=RunnerSettings(concurrency=7))
    assert asyncio.run(runner.stream(cases)) is None
    assert sorted(target.sent) == sorted(f"p{i}" for i in range(200))
    assert len(sink.results) == 200 and target.most == 7


def test_run_keeps_the_given_order() -> None:
    cases: list[Case] = [make_case(f"q{i}") for i in range(30)]
    runner = Runner(
        InFlightDouble(),
        GenerateParams(),
        MemorySink(),
        "r",
        settings=RunnerSettings(concurrency=4),
    )
    results = asyncio.run(runner.run(cases))
    assert [r.case_key for r in results] == [c.key for c in cases]


def test_a_sink_failure_stops_the_stream() -> None:
    class Refusing(MemorySink):
        def record_result(self, run_id: str, result: object) -> None:
            raise RuntimeError("disk full")

    runner = Runner(InFlightDouble(), GenerateParams(), Refusing(), "r")
    with pytest.raises(RuntimeError, match="disk full"):
        asyncio.run(runner.stream(make_case(f"s{i}") for i in range(20)))
