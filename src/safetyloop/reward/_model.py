"""Reward models as audit targets: score a (prompt, response) or compare two responses.

A spec names one: `python:package.module:function`, an `http://` or `https://` URL (the
project's JSON shape), `rerank:URL[#MODEL]` (vLLM's or llama.cpp's `/v1/rerank`),
`classify:URL[#MODEL]` and `pooling:URL[#MODEL]` (vLLM's `/classify` and `/pooling`), `hf:PATH` (a
transformers sequence-classification folder), `minilm:PATH` or `offline` (the bundled MiniLM
reward model trained by `safetyloop reward train`). Kinds live in one registry, so a plugin
can add another.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from safetyloop._registry import Registry, callables
from safetyloop.errors import InputError, SafetyloopError


class RewardError(SafetyloopError):
    """The reward model failed to give a reward: recorded as an error, never as a preference."""


@dataclass(frozen=True)
class Scored:
    """One user prompt and one assistant response, the unit a reward model scores."""

    prompt: str
    response: str


class RewardModel(ABC):
    """Gives each (prompt, response) a real-valued reward; higher means preferred.

    `compare` is pointwise by default (the difference of two rewards); a pairwise judge overrides
    it, and only then can the order the two answers are shown in matter.
    """

    kind: str = ""
    pairwise: bool = False

    def __init__(self, spec: str) -> None:
        self.spec = spec

    @abstractmethod
    def score(self, items: Sequence[Scored]) -> list[float]:
        """One finite reward per item, in order, or `RewardError` for the whole batch."""

    def compare(self, prompt: str, first: str, second: str) -> float:
        """How much more `first` is preferred than `second` (> 0: first wins)."""
        a, b = self.score([Scored(prompt, first), Scored(prompt, second)])
        return a - b

    @property
    def version(self) -> str:
        """What identifies the model for regressions: its spec, unless a kind knows better."""
        return self.spec


def checked(values: Sequence[object], n: int, source: str) -> list[float]:
    """Rewards as floats, or `RewardError` when the count is wrong or a value is not finite."""
    if len(values) != n:
        raise RewardError(f"{source} returned {len(values)} rewards for {n} items")
    out: list[float] = []
    for value in values:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise RewardError(f"{source} returned a non-number reward: {value!r}")
        if not math.isfinite(float(value)):
            raise RewardError(f"{source} returned a non-finite reward: {value!r}")
        out.append(float(value))
    return out


#: Builds a reward model from the text after `KIND:` (empty for a bare kind like `offline`).
Factory = Callable[[str], RewardModel]

REWARD_KINDS: Registry[Factory] = Registry(
    "reward-model kind",
    "safetyloop.reward_models",
    builtins=[
        "safetyloop.reward._callable",
        "safetyloop.reward._http",
        "safetyloop.reward._vllm",
        "safetyloop.reward._local",
    ],
    accept=callables("a reward-model factory"),
)


def reward_kind(name: str) -> Callable[[Factory], Factory]:
    """Register a reward-model kind under `name` (the spec's prefix)."""

    def wrap(factory: Factory) -> Factory:
        return REWARD_KINDS.register(name, factory)

    return wrap


def load_reward_model(spec: str) -> RewardModel:
    """The reward model a spec names (see the module docstring for the forms)."""
    kind, _, rest = spec.strip().partition(":")
    if not kind:
        raise InputError(f"empty reward-model spec {spec!r}", hint=_HINT)
    return REWARD_KINDS.get(kind)(rest)


_HINT = (
    "use offline, minilm:PATH, hf:PATH, python:module:function, http://HOST/PATH, rerank:URL, "
    "classify:URL or pooling:URL"
)
