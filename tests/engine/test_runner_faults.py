"""The runner against a misbehaving provider: every fault ends where the spec says it must.

These drive the real `Runner` and the real `OpenAITarget` over a real loopback socket (the stub
server), because the behaviour under test is split between the two: the target maps HTTP
status, headers and bodies to `TargetError` kinds, the runner decides what to retry, how long to
wait, and what to cache. Timings are measured at the server, the only clock that sees what the
provider sees.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.doubles.stub_chat_server import (
    StubChatServer,
    default_text,
    empty,
    hang,
    malformed,
    status,
)

from safetyloop.engine import (
    CachedResponse,
    CaseResult,
    RetryPolicy,
    Runner,
    RunnerSettings,
)
from safetyloop.suites import Case, Message
from safetyloop.targets import GenerateParams, Target, TargetError, build_target, create_target


class MemorySink:
    """An in-memory `ResultSink` + `ResponseCache`: records every write so tests can count them.

    It refuses a second result for the same case, as the real store's unique constraint does, so a
    runner that double-writes fails here too.
    """

    def __init__(self) -> None:
        self.results: dict[str, CaseResult] = {}
        self.cache: dict[str, CachedResponse] = {}
        self.cache_puts = 0

    def fresh_run(self) -> MemorySink:
        """A sink for a rerun: no results yet, but the same response cache (as one store has)."""
        other = MemorySink()
        other.cache = self.cache
        return other

    def record_result(self, run_id: str, result: CaseResult) -> None:
        assert result.case_key not in self.results, f"duplicate result for {result.case_key}"
        self.results[result.case_key] = result

    def cache_get(self, key: str) -> CachedResponse | None:
        return self.cache.get(key)

    def cache_put(self, key: str, response: CachedResponse) -> None:
        self.cache_puts += 1
        self.cache[key] = response


def make_case(prompt: str, case_id: str | None = None) -> Case:
    return Case(
        id=case_id or prompt,
        suite="faults",
        category="test",
        messages=(Message(role="user", content=prompt),),
        expected="refuse",
    )


#: Fast backoff so retry tests take milliseconds; Retry-After tests rely on it being small.
FAST = RetryPolicy(max_attempts=3, base_s=0.01, max_backoff_s=0.05)


@pytest.fixture
async def target(stub_server: StubChatServer) -> AsyncIterator[Target]:
    """The real OpenAI-compatible target, built from a CLI spec, pointed at the stub."""
    built = build_target(stub_server.target_spec())
    yield built
    await built.aclose()


async def run_cases(
    target: Target,
    cases: Sequence[Case],
    *,
    sink: MemorySink | None = None,
    retry: RetryPolicy = FAST,
    timeout_s: float = 10.0,
    concurrency: int | None = None,
    use_cache: bool = True,
) -> list[CaseResult]:
    sink = sink if sink is not None else MemorySink()
    runner = Runner(
        target,
        GenerateParams(),
        sink,
        "run-test",
        cache=sink,
        settings=RunnerSettings(
            timeout_s=timeout_s, retry=retry, concurrency=concurrency, use_cache=use_cache
        ),
    )
    results = await runner.run(cases)
    assert [r.case_key for r in results] == [c.key for c in cases]
    assert set(sink.results) == {c.key for c in cases}, "every case streams one result"
    return results


def outcomes(result: CaseResult) -> list[str]:
    return [a.outcome for a in result.attempts]


# ---- happy path ------------------------------------------------------------------------------


async def test_ok_answer_is_the_servers_text(stub_server: StubChatServer, target: Target) -> None:
    [result] = await run_cases(target, [make_case("hello")])
    assert result.status == "ok"
    assert result.response == default_text("hello")
    assert outcomes(result) == ["ok"]
    assert stub_server.count("hello") == 1
    sent = stub_server.requests[0].body
    assert sent["model"] == "stub"
    assert sent["messages"] == [{"role": "user", "content": "hello"}]


# ---- retries ---------------------------------------------------------------------------------


async def test_429_honours_retry_after(stub_server: StubChatServer, target: Target) -> None:
    """Backoff alone would wait ≤ 0.05 s here; only the header can explain a ≥ 1 s gap."""
    stub_server.script(status(429, retry_after=1), prompt="busy")
    [result] = await run_cases(target, [make_case("busy")])

    assert result.status == "ok"
    assert result.response == default_text("busy")
    assert len(result.attempts) >= 2
    assert outcomes(result) == ["rate_limit", "ok"]
    assert result.attempts[0].status == 429
    assert result.attempts[0].wait_s >= 1.0
    first, second = stub_server.requests_for("busy")
    assert second.arrived - first.arrived >= 1.0


async def test_retry_after_http_date_is_honoured(
    stub_server: StubChatServer, target: Target
) -> None:
    """Retry-After may be an HTTP date; a date in the past means 'now', not an error."""
    stub_server.script(status(429, retry_after="Wed, 21 Oct 2015 07:28:00 GMT"), prompt="dated")
    [result] = await run_cases(target, [make_case("dated")])
    assert outcomes(result) == ["rate_limit", "ok"]
    assert result.attempts[0].wait_s < 0.1


async def test_500_twice_then_ok(stub_server: StubChatServer, target: Target) -> None:
    stub_server.script(status(500), status(503), prompt="flaky")
    [result] = await run_cases(target, [make_case("flaky")])
    assert result.status == "ok"
    assert outcomes(result) == ["server", "server", "ok"]
    assert [a.status for a in result.attempts] == [500, 503, None]
    assert all(a.wait_s > 0 for a in result.attempts[:2])
    assert stub_server.count("flaky") == 3


async def test_always_500_is_an_error_after_max_attempts(
    stub_server: StubChatServer, target: Target
) -> None:
    stub_server.always(status(500), prompt="down")
    [result] = await run_cases(
        target, [make_case("down")], retry=RetryPolicy(max_attempts=4, base_s=0.01)
    )
    assert result.status == "error"
    assert result.error_kind == "server"
    assert result.response is None, "a failed request is never an answer (nor a refusal)"
    assert outcomes(result) == ["server"] * 4
    assert result.attempts[-1].wait_s == 0.0, "no wait after the last attempt"
    assert stub_server.count("down") == 4


async def test_hang_past_timeout_is_a_timeout_error(
    stub_server: StubChatServer, target: Target
) -> None:
    stub_server.always(hang(5), prompt="silent")
    [result] = await run_cases(
        target, [make_case("silent")], timeout_s=0.5, retry=RetryPolicy(max_attempts=2, base_s=0.01)
    )
    assert result.status == "error"
    assert result.error_kind == "timeout"
    assert outcomes(result) == ["timeout", "timeout"]
    assert all(0.45 <= a.duration_s < 2.0 for a in result.attempts)
    assert stub_server.count("silent") == 2


async def test_the_openai_target_bounds_a_read_by_itself(stub_server: StubChatServer) -> None:
    """Outside the runner too (no `wait_for` around it), a silent server cannot hang a caller."""
    stub_server.always(hang(5), prompt="silent")
    params = {"model": "m", "base_url": stub_server.base_url, "timeout_s": 0.3}
    target = create_target("openai", "slow", params)
    try:
        with pytest.raises(TargetError, match="timeout"):
            await target.generate([Message(role="user", content="silent")], GenerateParams())
    finally:
        await target.aclose()


async def test_hang_once_then_ok_recovers(stub_server: StubChatServer, target: Target) -> None:
    stub_server.script(hang(5), prompt="slow-once")
    [result] = await run_cases(target, [make_case("slow-once")], timeout_s=0.5)
    assert result.status == "ok"
    assert outcomes(result) == ["timeout", "ok"]


async def test_persistent_malformed_json_is_a_malformed_error(
    stub_server: StubChatServer, target: Target
) -> None:
    stub_server.always(malformed(), prompt="garbage")
    [result] = await run_cases(target, [make_case("garbage")])
    assert result.status == "error"
    assert result.error_kind == "malformed"
    assert outcomes(result) == ["malformed"] * FAST.max_attempts
    assert result.response is None


async def test_malformed_once_is_retried(stub_server: StubChatServer, target: Target) -> None:
    stub_server.script(malformed(), prompt="glitch")
    [result] = await run_cases(target, [make_case("glitch")])
    assert outcomes(result) == ["malformed", "ok"]


async def test_empty_content_is_an_empty_error(stub_server: StubChatServer, target: Target) -> None:
    """An empty answer is not a refusal: counting it as one would flatter the model."""
    stub_server.always(empty(), prompt="mute")
    [result] = await run_cases(target, [make_case("mute")])
    assert result.status == "error"
    assert result.error_kind == "empty"
    assert result.response is None
    assert outcomes(result) == ["empty"] * FAST.max_attempts


async def test_400_is_not_retried(stub_server: StubChatServer, target: Target) -> None:
    stub_server.always(status(400, body='{"error": "bad request"}'), prompt="invalid")
    [result] = await run_cases(target, [make_case("invalid")])
    assert result.status == "error"
    assert result.error_kind == "client"
    assert outcomes(result) == ["client"]
    assert stub_server.count("invalid") == 1


async def test_faults_stay_with_their_case(stub_server: StubChatServer, target: Target) -> None:
    """One prompt's failures must not leak into another's result in the same run."""
    stub_server.always(status(500), prompt="bad")
    results = await run_cases(
        target, [make_case(p) for p in ("good-1", "bad", "good-2")], concurrency=3
    )
    assert [r.status for r in results] == ["ok", "error", "ok"]
    assert results[0].response == default_text("good-1")
    assert results[2].response == default_text("good-2")


# ---- cache -----------------------------------------------------------------------------------


async def test_errors_are_never_cached(stub_server: StubChatServer, target: Target) -> None:
    stub_server.always(status(500), prompt="down")
    sink = MemorySink()
    await run_cases(target, [make_case("down")], sink=sink)
    assert sink.cache == {}
    assert stub_server.count("down") == FAST.max_attempts

    [again] = await run_cases(target, [make_case("down")], sink=sink.fresh_run())
    assert again.status == "error"
    assert not again.cached
    assert stub_server.count("down") == 2 * FAST.max_attempts, "a rerun asks the server again"


async def test_successes_are_cached(stub_server: StubChatServer, target: Target) -> None:
    sink = MemorySink()
    [first] = await run_cases(target, [make_case("hello")], sink=sink)
    assert not first.cached
    assert sink.cache_puts == 1

    [second] = await run_cases(target, [make_case("hello")], sink=sink.fresh_run())
    assert second.cached
    assert second.status == "ok"
    assert second.response == first.response
    assert second.attempts == []
    assert stub_server.count("hello") == 1, "a cached answer makes no request"


async def test_use_cache_false_asks_again(stub_server: StubChatServer, target: Target) -> None:
    sink = MemorySink()
    await run_cases(target, [make_case("hello")], sink=sink)
    [second] = await run_cases(target, [make_case("hello")], sink=sink.fresh_run(), use_cache=False)
    assert not second.cached
    assert stub_server.count("hello") == 2


async def test_recovered_answer_is_cached(stub_server: StubChatServer, target: Target) -> None:
    """What gets cached is the final answer, not the transient error before it."""
    stub_server.script(status(503), prompt="flaky")
    sink = MemorySink()
    await run_cases(target, [make_case("flaky")], sink=sink)
    [again] = await run_cases(target, [make_case("flaky")], sink=sink.fresh_run())
    assert again.cached
    assert again.response == default_text("flaky")
    assert stub_server.count("flaky") == 2


# ---- concurrency -----------------------------------------------------------------------------


@pytest.mark.parametrize("limit", [1, 2, 4])
async def test_concurrency_is_bounded(limit: int) -> None:
    """With a slow server, the runner fills exactly `limit` slots, never more."""
    with StubChatServer(delay=0.3) as slow:
        slow_target = build_target(slow.target_spec())
        try:
            cases = [make_case(f"p{i}") for i in range(2 * limit + 1)]
            results = await run_cases(slow_target, cases, concurrency=limit)
        finally:
            await slow_target.aclose()
    assert all(r.status == "ok" for r in results)
    assert slow.max_in_flight == limit


# ---- backoff policy --------------------------------------------------------------------------


def _error(retry_after: float | None = None) -> TargetError:
    return TargetError(
        "rate_limit" if retry_after is not None else "server",
        "test",
        retryable=True,
        retry_after=retry_after,
    )


def test_backoff_grows_exponentially_with_jitter() -> None:
    policy = RetryPolicy(base_s=0.5, max_backoff_s=1e9)
    rng = random.Random(7)
    delays = [policy.delay(k, _error(), rng) for k in range(1, 9)]
    for k, d in enumerate(delays, start=1):
        bound = 0.5 * 2 ** (k - 1)
        assert 0.5 * bound <= d <= bound, (k, d)
    # Two steps apart, the ranges cannot overlap: growth is exponential whatever the jitter.
    assert all(delays[i + 2] > delays[i] for i in range(len(delays) - 2))
    assert len(set(delays)) == len(delays), "jittered, not a fixed schedule"


def test_backoff_is_deterministic_for_a_seed() -> None:
    policy = RetryPolicy()
    first = [policy.delay(k, _error(), random.Random(3)) for k in range(1, 5)]
    again = [policy.delay(k, _error(), random.Random(3)) for k in range(1, 5)]
    other = [policy.delay(k, _error(), random.Random(4)) for k in range(1, 5)]
    assert first == again
    assert first != other


def test_backoff_is_capped() -> None:
    policy = RetryPolicy(base_s=1.0, max_backoff_s=4.0)
    rng = random.Random(0)
    assert all(2.0 <= policy.delay(k, _error(), rng) <= 4.0 for k in range(3, 20))


def test_retry_after_wins_when_larger() -> None:
    policy = RetryPolicy(base_s=0.5)
    assert policy.delay(1, _error(retry_after=10.0), random.Random(0)) == 10.0


def test_backoff_wins_when_retry_after_is_smaller() -> None:
    policy = RetryPolicy(base_s=8.0, max_backoff_s=100.0)
    delay = policy.delay(1, _error(retry_after=0.1), random.Random(0))
    assert 4.0 <= delay <= 8.0


def test_retry_after_is_capped() -> None:
    policy = RetryPolicy(base_s=0.5, max_retry_after_s=60.0)
    assert policy.delay(1, _error(retry_after=86_400.0), random.Random(0)) == 60.0


@settings(max_examples=300, deadline=None)
@given(
    attempt=st.integers(min_value=1, max_value=30),
    base=st.floats(min_value=1e-3, max_value=10.0),
    cap=st.floats(min_value=1e-3, max_value=1e4),
    retry_after=st.one_of(st.none(), st.floats(min_value=0.0, max_value=1e5)),
    max_retry_after=st.floats(min_value=0.0, max_value=1e3),
    seed=st.integers(min_value=0, max_value=2**32),
)
def test_delay_property(
    attempt: int,
    base: float,
    cap: float,
    retry_after: float | None,
    max_retry_after: float,
    seed: int,
) -> None:
    """delay ∈ [0.5, 1]·min(cap, base·2^(k-1)), raised to Retry-After (itself capped)."""
    policy = RetryPolicy(base_s=base, max_backoff_s=cap, max_retry_after_s=max_retry_after)
    delay = policy.delay(attempt, _error(retry_after), random.Random(seed))
    backoff = min(cap, base * 2 ** (attempt - 1))
    tol = 1e-9 * max(1.0, backoff)
    assert delay >= 0.5 * backoff - tol
    if retry_after is None:
        assert delay <= backoff + tol
    else:
        honoured = min(retry_after, max_retry_after)
        assert delay >= honoured
        assert delay <= max(honoured, backoff) + tol
    assert delay == policy.delay(attempt, _error(retry_after), random.Random(seed))
