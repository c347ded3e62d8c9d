"""The engine: runs cases against targets with bounded concurrency, retries, cache and resume."""

from safetyloop.engine._calls import Caller
from safetyloop.engine._records import (
    Attempt,
    CachedResponse,
    CaseResult,
    ResponseCache,
    ResultSink,
)
from safetyloop.engine._runner import RetryPolicy, Runner, RunnerSettings, cache_key

__all__ = [
    "Attempt",
    "CachedResponse",
    "Caller",
    "CaseResult",
    "ResponseCache",
    "ResultSink",
    "RetryPolicy",
    "Runner",
    "RunnerSettings",
    "cache_key",
]
