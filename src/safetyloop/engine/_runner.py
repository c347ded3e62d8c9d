"""The one runner: bounded concurrency, retries with backoff, cache, streaming writes.

Every case ends in exactly one `CaseResult`, written to the sink the moment it ends, so a run
killed at any point loses at most the cases in flight. A request that finally fails is an
error with its attempts recorded — never a refusal, never a pass.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from safetyloop._hashing import content_hash
from safetyloop._redact import redact
from safetyloop.engine._records import (
    Attempt,
    CachedResponse,
    CaseResult,
    ResponseCache,
    ResultSink,
)
from safetyloop.suites import Case
from safetyloop.targets import GenerateParams, Target, TargetError, TargetResponse


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter; Retry-After is honoured up to `max_retry_after_s`."""

    max_attempts: int = 4
    base_s: float = 0.5
    max_backoff_s: float = 30.0
    max_retry_after_s: float = 120.0

    def delay(self, attempt: int, error: TargetError, rng: random.Random) -> float:
        backoff = min(self.max_backoff_s, self.base_s * 2.0 ** (attempt - 1))
        jittered: float = backoff * rng.uniform(0.5, 1.0)
        if error.retry_after is not None:
            return max(min(float(error.retry_after), self.max_retry_after_s), jittered)
        return jittered


@dataclass(frozen=True)
class RunnerSettings:
    """How the runner treats a target. `concurrency=None` takes the target's own limit."""

    timeout_s: float = 120.0
    retry: RetryPolicy = RetryPolicy()
    concurrency: int | None = None
    use_cache: bool = True
    seed: int = 0


def cache_key(target: Target, case: Case, params: GenerateParams) -> str:
    """Key on everything that can change the answer."""
    return content_hash(
        {
            "target": target.version,
            "messages": [m.model_dump(mode="json") for m in case.messages],
            "params": params.model_dump(mode="json"),
        }
    )


class Runner:
    """Runs cases against one target and streams each result to a sink."""

    def __init__(
        self,
        target: Target,
        params: GenerateParams,
        sink: ResultSink,
        run_id: str,
        *,
        cache: ResponseCache | None = None,
        settings: RunnerSettings | None = None,
        on_result: Callable[[CaseResult], None] | None = None,
    ) -> None:
        self.target = target
        self.params = params
        self.sink = sink
        self.run_id = run_id
        self.cache = cache
        self.settings = settings or RunnerSettings()
        self.on_result = on_result
        self._rng = random.Random(self.settings.seed)

    async def run(self, cases: Sequence[Case]) -> list[CaseResult]:
        """Run every case; returns results in the order given.

        If one case fails outside the target (the sink refuses a write, say), the others are
        cancelled and awaited before this returns: none goes on to fail against a client its
        caller has closed meanwhile, so no case that was never sent is recorded as an error.
        """
        results: list[CaseResult | None] = [None] * len(cases)

        def keep(index: int, result: CaseResult) -> None:
            results[index] = result

        await self._each(cases, keep)
        return [r for r in results if r is not None]

    async def stream(self, cases: Iterable[Case]) -> None:
        """Run every case, leaving each result to the sink and `on_result` only.

        Why: memory stays flat with the number of cases (100,000 and more): a fixed pool of
        workers pulls the cases one by one, so there is no task per case and no list of results.
        Failures behave as in `run`.
        """
        await self._each(cases, None)

    async def _each(
        self, cases: Iterable[Case], keep: Callable[[int, CaseResult], None] | None
    ) -> None:
        """As many workers as requests may be in flight, each taking the next case when free."""
        limit = max(1, self.settings.concurrency or self.target.max_concurrency)
        queue = iter(enumerate(cases))

        async def worker() -> None:
            for index, case in queue:  # shared: each case is taken by exactly one worker
                result = await self._run_case(case)
                self.sink.record_result(self.run_id, result)
                if self.on_result:
                    self.on_result(result)
                if keep is not None:
                    keep(index, result)

        try:
            async with asyncio.TaskGroup() as group:
                for _ in range(limit):
                    group.create_task(worker())
        except BaseExceptionGroup as failed:  # the first failure, as `gather` raised it
            raise failed.exceptions[0] from None

    async def _run_case(self, case: Case) -> CaseResult:
        key = cache_key(self.target, case, self.params)
        use_cache = self.cache is not None and self.settings.use_cache and self.target.cacheable
        if self.cache and use_cache:
            hit = self.cache.cache_get(key)
            if hit is not None:
                return CaseResult(
                    case_key=case.key,
                    status="ok",
                    response=hit.text,
                    finish_reason=hit.finish_reason,
                    cached=True,
                    metadata=hit.metadata,
                )
        attempts: list[Attempt] = []
        started = time.perf_counter()
        policy = self.settings.retry
        for number in range(1, policy.max_attempts + 1):
            t0 = time.perf_counter()
            try:
                response = await self._call(case)
            except TargetError as error:
                last_attempt = number == policy.max_attempts or not error.retryable
                wait = 0.0 if last_attempt else policy.delay(number, error, self._rng)
                # the boundary: no target's key reaches the store, whatever the target raised
                message = redact(str(error), self.target.secrets())
                attempts.append(
                    Attempt(
                        number=number,
                        outcome=error.kind,
                        duration_s=time.perf_counter() - t0,
                        error=message,
                        status=error.status,
                        wait_s=wait,
                    )
                )
                if last_attempt:
                    return CaseResult(
                        case_key=case.key,
                        status="error",
                        error_kind=error.kind,
                        error=message,
                        attempts=attempts,
                        latency_s=time.perf_counter() - started,
                    )
                await asyncio.sleep(wait)
                continue
            attempts.append(
                Attempt(number=number, outcome="ok", duration_s=time.perf_counter() - t0)
            )
            if self.cache and use_cache:
                self.cache.cache_put(
                    key,
                    CachedResponse(
                        text=response.text,
                        finish_reason=response.finish_reason,
                        metadata=response.metadata,
                    ),
                )
            return CaseResult(
                case_key=case.key,
                status="ok",
                response=response.text,
                finish_reason=response.finish_reason,
                attempts=attempts,
                latency_s=time.perf_counter() - started,
                metadata=response.metadata,
            )
        raise AssertionError("unreachable: the loop returns on the last attempt")

    async def _call(self, case: Case) -> TargetResponse:
        try:
            return await asyncio.wait_for(
                self.target.answer(case, self.params), self.settings.timeout_s
            )
        except TimeoutError as exc:
            raise TargetError(
                "timeout", f"no answer within {self.settings.timeout_s:g}s", retryable=True
            ) from exc
        except TargetError:
            raise
        except Exception as exc:  # a crashing provider is an error, not an answer
            raise TargetError("exception", f"{type(exc).__name__}: {exc}", retryable=False) from exc
