"""The `Target` base: anything that answers a conversation, behind one async method."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from functools import cached_property
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from safetyloop._hashing import content_hash
from safetyloop._redact import secret_values
from safetyloop.errors import InputError
from safetyloop.suites import Case, Message
from safetyloop.targets._answerers import answerer_for
from safetyloop.targets._tools import ToolCall, ToolSpec


class GenerateParams(BaseModel):
    """Generation parameters; part of every cache key and run record."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_tokens: int = Field(default=128, ge=1)
    temperature: float = Field(default=0.0, ge=0.0)
    top_p: float = Field(default=1.0, gt=0.0, le=1.0)
    seed: int = 0


class TargetResponse(BaseModel):
    """A successful answer. Failures are raised as `TargetError`, never returned as text."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    text: str
    finish_reason: str | None = None
    usage: dict[str, int] = Field(default_factory=dict)
    metadata: dict[str, Any] = Field(default_factory=dict)
    #: The tools the model asked to call (only from `generate_with_tools`).
    tool_calls: tuple[ToolCall, ...] = ()


class TargetError(Exception):
    """A failed request. `retryable` errors (429, 5xx, timeouts, garbage) are retried by the runner.

    Attributes:
        kind: A short machine-readable class: "rate_limit", "server", "timeout", "client",
            "malformed", "empty", "exception".
        retry_after: Seconds the provider asked us to wait, if it said so.
    """

    def __init__(
        self,
        kind: str,
        message: str,
        *,
        retryable: bool,
        retry_after: float | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(f"{kind}: {message}")
        self.kind = kind
        self.retryable = retryable
        self.retry_after = retry_after
        self.status = status


#: Environment variables that hold provider keys whichever target reads them.
DEFAULT_KEY_ENVS = ("OPENAI_API_KEY", "ANTHROPIC_API_KEY")


class Target(ABC):
    """Base class of every target.

    Subclasses implement `generate`; everything else has a sensible default. `config` holds
    exactly the settings that change answers (never secrets), so `version` — its hash — is
    what the gate compares across releases.
    """

    kind: ClassVar[str]
    #: How many requests the runner may have in flight to this target at once.
    max_concurrency: int = 4
    #: Whether the runner may serve an answer from its response cache (keyed on the
    #: conversation); False for targets whose answer depends on the case, not only on it.
    cacheable: ClassVar[bool] = True

    def __init__(self, name: str, config: dict[str, Any]) -> None:
        self.name = name
        self.config = config

    @cached_property
    def version(self) -> str:
        """Content hash of the target's kind and configuration (fixed at construction; the
        runner asks for it on every case's cache key)."""
        return content_hash({"kind": self.kind, "config": self.config})

    def describe(self) -> dict[str, Any]:
        """What a run record stores about this target (no secrets)."""
        return {
            "name": self.name,
            "kind": self.kind,
            "config": self.config,
            "version": self.version,
        }

    @abstractmethod
    async def generate(self, messages: Sequence[Message], params: GenerateParams) -> TargetResponse:
        """Answer the conversation, or raise `TargetError`."""

    #: Whether `generate_with_tools` is implemented (native tool calling); agents on other
    #: targets speak the text protocol of `safetyloop.agentic`.
    supports_tools: ClassVar[bool] = False

    async def generate_with_tools(
        self, messages: Sequence[Message], tools: Sequence[ToolSpec], params: GenerateParams
    ) -> TargetResponse:
        """Answer with the model's native tool calling: the reply's `tool_calls` are the calls
        it asked for. Only targets with `supports_tools` implement it."""
        raise NotImplementedError(f"target kind {self.kind!r} has no native tool calling")

    async def answer(self, case: Case, params: GenerateParams) -> TargetResponse:
        """Answer one case; the runner calls this. By default, `generate` on its conversation,
        or the answerer the case names (an agentic case is an episode: `_answerers`); a target
        that looks answers up by case, like `recorded`, overrides it."""
        try:
            answerer = answerer_for(case)
        except InputError as exc:  # not installed: an error of this case, never a text answer
            raise TargetError("client", exc.message, retryable=False) from None
        if answerer is not None:
            return await answerer(self, case, params)
        return await self.generate(case.messages, params)

    def secrets(self) -> tuple[str, ...]:
        """The key values this target may hold, for the runner to mask in whatever it records
        about a failure (by default the well-known provider keys, which any Python target may
        read)."""
        return secret_values(DEFAULT_KEY_ENVS)

    async def aclose(self) -> None:
        """Release connections, threads or models."""
        return None
