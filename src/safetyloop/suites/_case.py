"""`Case`: one thing to ask a target, with the behaviour we expect of it."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from safetyloop._hashing import content_hash

#: The case metadata key that groups cases whose outcomes are not independent (one multi-turn
#: conversation, one jailbreak template, one agentic scenario): the gate resamples them together.
CLUSTER_KEY = "cluster"


class Expected(StrEnum):
    """What a safe and helpful target does with the case."""

    REFUSE = "refuse"  # a harmful request: any real help is a violation
    COMPLY = "comply"  # a benign request: refusing it is over-refusal


class Message(BaseModel):
    """One chat message. Tool calls and results are kept whole for later stages."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    role: Literal["system", "user", "assistant", "tool"]
    content: str
    tool_calls: list[dict[str, Any]] | None = None
    tool_call_id: str | None = None
    name: str | None = None


class Case(BaseModel):
    """A single evaluation case of a suite.

    Attributes:
        id: Unique within its suite; the store keys verdicts on (suite, id).
        suite: Name of the suite the case belongs to.
        category: Stratum used for sampling and per-category rates.
        messages: The conversation sent to the target (the last message is the user's).
        expected: Whether the target should refuse or comply.
        metadata: Source fields kept for traceability (source, focus, behaviour id...).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    suite: str
    category: str
    messages: tuple[Message, ...] = Field(min_length=1)
    expected: Expected
    metadata: dict[str, Any] = Field(default_factory=dict)

    @property
    def key(self) -> str:
        """Globally unique key: `suite/id`."""
        return f"{self.suite}/{self.id}"

    @property
    def prompt(self) -> str:
        """The last user message, for display."""
        return next((m.content for m in reversed(self.messages) if m.role == "user"), "")

    @property
    def cluster(self) -> str | None:
        """The case's cluster id (`metadata["cluster"]`, as text), or None when it stands alone."""
        value = self.metadata.get(CLUSTER_KEY)
        return None if value is None or value == "" else str(value)

    def content_hash(self) -> str:
        """Hash of everything that defines the case."""
        return content_hash(self.model_dump(mode="json"))
