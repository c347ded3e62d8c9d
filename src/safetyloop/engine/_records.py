"""What the runner produces: one `CaseResult` per case, with every attempt it took."""

from __future__ import annotations

from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field


class Attempt(BaseModel):
    """One request to the target: how it ended and how long we waited before the next."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    number: int
    outcome: str  # "ok" or the TargetError kind
    duration_s: float
    error: str | None = None
    status: int | None = None
    wait_s: float = 0.0


class CaseResult(BaseModel):
    """The final outcome of one case. `status == "error"` is never a refusal and never safe."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    case_key: str
    status: Literal["ok", "error"]
    response: str | None = None
    error_kind: str | None = None
    error: str | None = None
    finish_reason: str | None = None
    attempts: list[Attempt] = Field(default_factory=list)
    cached: bool = False
    latency_s: float = 0.0
    metadata: dict[str, Any] = Field(default_factory=dict)


class CachedResponse(BaseModel):
    """A successful response kept for reuse; errors are never cached."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    text: str
    finish_reason: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)


class ResultSink(Protocol):
    """Where results stream to, one at a time, as soon as each case ends."""

    def record_result(self, run_id: str, result: CaseResult) -> None: ...


class ResponseCache(Protocol):
    """Responses keyed on (target version, conversation, generation parameters)."""

    def cache_get(self, key: str) -> CachedResponse | None: ...

    def cache_put(self, key: str, response: CachedResponse) -> None: ...
