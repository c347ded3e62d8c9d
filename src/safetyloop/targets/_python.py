"""`python`: a callable of the team's own (a pipeline, an agent) as a target."""

from __future__ import annotations

import asyncio
import importlib
import inspect
from collections.abc import Callable, Sequence
from typing import Any

from safetyloop.errors import InputError
from safetyloop.suites import Message
from safetyloop.targets._registry import target_kind
from safetyloop.targets._target import GenerateParams, Target, TargetError, TargetResponse


def import_callable(path: str) -> Callable[..., Any]:
    """Import `package.module:function` (or `package.module.function`)."""
    module_name, sep, attr = path.partition(":")
    if not sep:
        module_name, _, attr = path.rpartition(".")
    if not module_name or not attr:
        raise InputError(f"not a dotted path to a callable: {path!r}", hint="use module:function")
    try:
        obj: Any = importlib.import_module(module_name)
        for part in attr.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError) as exc:
        raise InputError(f"cannot import {path!r}: {exc}") from exc
    if not callable(obj):
        raise InputError(f"{path!r} is not callable")
    return obj  # type: ignore[no-any-return]


class PythonTarget(Target):
    """Calls `fn(messages: list[dict], params: dict) -> str` (sync or async).

    A sync callable runs in a worker thread so it cannot stall the runner. An exception or a
    non-string return is an error, never an answer.
    """

    kind = "python"

    def __init__(self, name: str, params: dict[str, Any]) -> None:
        super().__init__(name, {"callable": str(params["callable"])})
        self.max_concurrency = int(params.get("concurrency", 4))
        self._fn = import_callable(self.config["callable"])

    async def generate(self, messages: Sequence[Message], params: GenerateParams) -> TargetResponse:
        payload = [m.model_dump(exclude_none=True) for m in messages]
        try:
            if inspect.iscoroutinefunction(self._fn):
                result = await self._fn(payload, params.model_dump())
            else:
                result = await asyncio.to_thread(self._fn, payload, params.model_dump())
        except Exception as exc:
            raise TargetError("exception", f"{type(exc).__name__}: {exc}", retryable=False) from exc
        if not isinstance(result, str):
            raise TargetError(
                "malformed", f"callable returned {type(result).__name__}, not str", retryable=False
            )
        if not result.strip():
            raise TargetError("empty", "callable returned an empty string", retryable=False)
        return TargetResponse(text=result)


@target_kind("python")
def _create(name: str, params: dict[str, Any]) -> Target:
    return PythonTarget(name, params)
