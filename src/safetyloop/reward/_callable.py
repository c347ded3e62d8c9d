"""`python:package.module:function`: a reward model that is a Python function.

`fn(prompt, response) -> float` is a pointwise reward model; `fn(prompt, first, second) ->
float` (> 0: first preferred) is a pairwise judge, whose answer may depend on the order.
An exception or a non-number is a `RewardError`.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Any

from safetyloop.errors import InputError
from safetyloop.reward._model import RewardError, RewardModel, Scored, checked, reward_kind
from safetyloop.targets import load_callable


class CallableReward(RewardModel):
    """Calls the user's function for each item (or each comparison, when it is pairwise)."""

    kind = "python"

    def __init__(self, spec: str, fn: Callable[..., Any], code: dict[str, str]) -> None:
        super().__init__(spec)
        self._fn = fn
        self._code = code
        self.pairwise = _arity(fn, spec) == 3

    def score(self, items: Sequence[Scored]) -> list[float]:
        if self.pairwise:
            raise RewardError(f"{self.spec} is a pairwise judge: it compares, it does not score")
        return checked(
            [self._call(item.prompt, item.response) for item in items], len(items), self.spec
        )

    def compare(self, prompt: str, first: str, second: str) -> float:
        if not self.pairwise:
            return super().compare(prompt, first, second)
        return checked([self._call(prompt, first, second)], 1, self.spec)[0]

    def _call(self, *args: str) -> object:
        try:
            return self._fn(*args)
        except Exception as exc:  # the user's code failing is the model failing
            raise RewardError(f"{self.spec} raised {type(exc).__name__}: {exc}") from exc

    @property
    def version(self) -> str:
        digests = ",".join(f"{k}={v[:12]}" for k, v in sorted(self._code.items()))
        return f"{self.spec}@{digests}" if digests else self.spec


def _arity(fn: Callable[..., Any], spec: str) -> int:
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return 2
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if len(positional) not in (2, 3):
        raise InputError(
            f"{spec} takes {len(positional)} positional arguments",
            hint="a reward function takes (prompt, response); a pairwise judge (prompt, a, b)",
        )
    return len(positional)


@reward_kind("python")
def _python(rest: str) -> RewardModel:
    fn, code = load_callable(rest)
    return CallableReward(f"python:{rest}", fn, code)
