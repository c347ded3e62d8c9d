"""The one scorer interface: a transcript in, a labelled `Score` with a confidence out."""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from safetyloop._hashing import content_hash
from safetyloop._registry import Registry, callables
from safetyloop.errors import SafetyloopError
from safetyloop.suites import Message


class ScoreInput(BaseModel):
    """What a scorer sees: the conversation sent and the response received."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    messages: tuple[Message, ...]
    response: str


#: The label of a verdict that could not be reached (e.g. unparseable judge output). The gate
#: counts it as an error, never as a refusal or as safe.
ERROR = "error"


class ScorerError(SafetyloopError):
    """A scorer could not reach a verdict; `raw` keeps what it was given (the judge's text)."""

    def __init__(self, message: str, raw: str = "") -> None:
        super().__init__(message)
        self.raw = raw


class Score(BaseModel):
    """A scorer's verdict on one response.

    Attributes:
        label: One of the scorer's `labels`.
        confidence: The scorer's belief in `label`, in [0, 1]; low values mark borderline cases.
        explanation: Why, in a sentence (the phrase that matched, the rule that fired).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    label: str
    confidence: float = Field(ge=0.0, le=1.0)
    explanation: str = ""

    @property
    def is_error(self) -> bool:
        return self.label == ERROR

    @classmethod
    def error(cls, message: str, raw: str) -> Score:
        """An error verdict that keeps the raw output for review."""
        return cls(label=ERROR, confidence=0.0, explanation=f"{message}; raw output: {raw!r}")


class Scorer(ABC):
    """Base class of all scorers; `version` is the hash of name, revision and configuration."""

    name: ClassVar[str]
    labels: ClassVar[tuple[str, ...]]
    #: Bumped when the scoring logic changes, so verdicts of old logic are never mixed in.
    revision: ClassVar[int] = 1

    def __init__(self, config: dict[str, Any] | None = None) -> None:
        self.config = config or {}

    @property
    def version(self) -> str:
        return content_hash({"name": self.name, "revision": self.revision, "config": self.config})

    @abstractmethod
    def score(self, item: ScoreInput) -> Score:
        """Score one response."""

    def score_batch(self, items: Sequence[ScoreInput]) -> list[Score]:
        """Score many; scorers with a batched model override this."""
        return [self.score(item) for item in items]

    async def ascore_batch(self, items: Sequence[ScoreInput]) -> list[Score]:
        """Score many from async code. Judge scorers override this to await their target;
        the default runs the sync path in a worker thread so the event loop is not blocked."""
        return await asyncio.to_thread(self.score_batch, items)


ScorerFactory = Callable[[dict[str, Any]], Scorer]

#: Every scorer: the built-in modules register on import, plugins through entry points.
SCORERS: Registry[ScorerFactory] = Registry(
    "scorer",
    "safetyloop.scorers",
    builtins=(
        "safetyloop.scoring._judge",
        "safetyloop.scoring._pattern",
        "safetyloop.scoring._refusal_keyword",
        "safetyloop.scoring._trained",
    ),
    accept=callables("a scorer factory (config) -> Scorer"),
)


def scorer(name: str) -> Callable[[type[Scorer]], type[Scorer]]:
    """Class decorator registering a scorer under `name`."""

    def register(cls: type[Scorer]) -> type[Scorer]:
        cls.name = name
        SCORERS.register(name, cls)
        return cls

    return register


def scorer_names() -> list[str]:
    """Every registered scorer's name, sorted (plugins are not imported to list them)."""
    return SCORERS.names()


def create_scorer(name: str, config: dict[str, Any] | None = None) -> Scorer:
    """Build a registered scorer by name."""
    return SCORERS.get(name)(config or {})
