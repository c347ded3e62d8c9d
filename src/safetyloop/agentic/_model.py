"""The agent's model calls, made through the engine's `Caller` so retries, timeouts, backoff and
the response cache apply to every turn as they do to every case of a run.

The runner speaks `generate(messages)` and keeps only text and metadata of an answer. An
`AgentModel` is the target as the runner sees it during one episode: its `generate` calls the
inner target's native tool calling (when it has it) with the episode's tools, or plain
`generate` (text protocol), and carries the tool calls and token usage in the metadata, which
the runner keeps (and caches) whole.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from safetyloop._hashing import content_hash
from safetyloop.engine import Caller, CaseResult, ResponseCache, RunnerSettings
from safetyloop.suites import Message
from safetyloop.targets import GenerateParams, Target, TargetResponse, ToolCall, ToolSpec

__all__ = ["AgentModel", "agent_caller", "tool_calls_of", "usage_of"]

_CALLS, _USAGE = "agent_tool_calls", "agent_usage"


class AgentModel(Target):
    """A target bound to one episode's tools (see the module docstring)."""

    kind = "agent-model"

    def __init__(self, inner: Target, tools: Sequence[ToolSpec], native: bool) -> None:
        self.inner = inner
        self.tools = tuple(tools)
        self.native = native
        super().__init__(
            inner.name,
            {
                "inner": inner.version,
                "native": native,
                "tools": content_hash([t.model_dump() for t in self.tools]) if native else None,
            },
        )
        self.max_concurrency = inner.max_concurrency
        self.cacheable = inner.cacheable  # type: ignore[misc]

    def secrets(self) -> tuple[str, ...]:
        return self.inner.secrets()

    async def generate(self, messages: Sequence[Message], params: GenerateParams) -> TargetResponse:
        if self.native:
            answer = await self.inner.generate_with_tools(messages, self.tools, params)
        else:
            answer = await self.inner.generate(messages, params)
        metadata = dict(answer.metadata)
        metadata[_CALLS] = [c.model_dump() for c in answer.tool_calls]
        metadata[_USAGE] = dict(answer.usage)
        return answer.model_copy(update={"metadata": metadata})


def agent_caller(
    target: Target,
    tools: Sequence[ToolSpec],
    params: GenerateParams,
    settings: RunnerSettings | None = None,
    cache: ResponseCache | None = None,
) -> Caller:
    """A `Caller` for one episode: native tool calling when the target supports it."""
    model = AgentModel(target, tools, native=target.supports_tools)
    return Caller(model, params, settings, cache, purpose="agent")


def tool_calls_of(result: CaseResult) -> tuple[ToolCall, ...]:
    return tuple(ToolCall.model_validate(c) for c in result.metadata.get(_CALLS, []))


def usage_of(result: CaseResult) -> dict[str, Any]:
    usage = result.metadata.get(_USAGE, {})
    return usage if isinstance(usage, dict) else {}
