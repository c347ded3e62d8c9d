"""Tools as typed Python functions over an environment's state.

A tool is a plain function whose first parameter is the state it acts on and whose other
parameters are what the model supplies. Its JSON schema is generated from those type hints (a
pydantic model built from the signature), never written by hand, so the schema a model sees and
the validation its arguments get cannot disagree. The first paragraph of the docstring is the
description; Google-style `Args:` lines describe the parameters.
"""

from __future__ import annotations

import inspect
import re
import typing
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from safetyloop.targets import ToolSpec

__all__ = ["Tool", "ToolFailure", "tool"]

ToolFunction = Callable[..., Any]

_ARG_LINE = re.compile(r"^\s{4,}(\w+)(?:\s*\([^)]*\))?:\s*(.+)$")


class ToolFailure(Exception):
    """A tool refused its call for a reason the model can act on (no such file, balance too
    low); the message becomes the tool's result, as an error."""


def _describe(doc: str) -> tuple[str, dict[str, str]]:
    """The docstring's first paragraph and the `Args:` descriptions by parameter."""
    text = inspect.cleandoc(doc)
    summary = " ".join(text.split("\n\n", 1)[0].split())
    params: dict[str, str] = {}
    in_args = False
    for line in text.splitlines():
        if line.strip() in {"Args:", "Arguments:"}:
            in_args = True
            continue
        if in_args:
            if line and not line.startswith(" "):
                break
            match = _ARG_LINE.match(line)
            if match:
                params[match.group(1)] = match.group(2).strip()
    return summary, params


class Tool:
    """One tool: its function, the pydantic model of its arguments and the spec a model sees.

    Args:
        function: `f(state, **arguments) -> result`; the result is shown to the model as text
            (pydantic models and containers as JSON).
        name: Defaults to the function's name.
    """

    def __init__(self, function: ToolFunction, name: str | None = None) -> None:
        self.function = function
        self.name = name or function.__name__
        summary, descriptions = _describe(function.__doc__ or "")
        if not summary:
            raise TypeError(f"tool {self.name!r} needs a docstring: it is the model's description")
        hints = typing.get_type_hints(function)
        fields: dict[str, Any] = {}
        for position, param in enumerate(inspect.signature(function).parameters.values()):
            if position == 0:
                continue  # the state
            if param.name not in hints:
                raise TypeError(f"tool {self.name!r}: parameter {param.name!r} has no type hint")
            default = ... if param.default is inspect.Parameter.empty else param.default
            fields[param.name] = (
                hints[param.name],
                Field(default, description=descriptions.get(param.name)),
            )
        self.arguments: type[BaseModel] = create_model(
            f"{self.name}_arguments", __config__=ConfigDict(extra="forbid"), **fields
        )
        self.spec = ToolSpec(
            name=self.name,
            description=summary,
            parameters=_clean(self.arguments.model_json_schema()),
        )

    def validate(self, arguments: Mapping[str, Any]) -> dict[str, Any]:
        """The arguments as the function will receive them.

        Raises:
            ValueError: they do not fit the schema (the message lists each problem).
        """
        try:
            model = self.arguments.model_validate(dict(arguments))
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'arguments'}: {e['msg']}"
                for e in exc.errors()
            )
            raise ValueError(f"invalid arguments for {self.name}: {problems}") from None
        return {name: getattr(model, name) for name in type(model).model_fields}

    def __call__(self, state: Any, arguments: Mapping[str, Any]) -> Any:
        """Validate `arguments` and run the function on `state` (which it may change)."""
        return self.function(state, **self.validate(arguments))

    def __repr__(self) -> str:
        return f"Tool({self.name!r})"


def _clean(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema without pydantic's generated titles, which only add tokens to every prompt."""
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "title" and isinstance(value, str):
            continue
        if key == "properties" and isinstance(value, dict):
            out[key] = {name: _clean(sub) for name, sub in value.items()}
        elif isinstance(value, dict):
            out[key] = _clean(value)
        elif isinstance(value, list):
            out[key] = [_clean(v) if isinstance(v, dict) else v for v in value]
        else:
            out[key] = value
    return out


def tool(function: ToolFunction) -> Tool:
    """Decorator: turn a typed function over a state into a `Tool`."""
    return Tool(function)
