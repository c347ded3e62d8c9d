"""The check language: small declarative predicates over an episode's final state and calls.

A check is one mapping with exactly one head key:

- `exists: <path>` / `absent: <path>` with `where: {field: matcher}` (and `at_least: n`): an
  item of the collection at `path` matches every `where` entry (or none does). A path is dotted
  (`bank_account.transactions`); `*` fans out over every value of a mapping or list
  (`slack.user_inbox.*`); the field `self` is the item itself.
- `value: <path>` with `is: matcher`: the value at `path` matches.
- `called: <tool>` / `not_called: <tool>` with `args: {argument: matcher}`: a tool call that
  ran without error (or none did).
- `answer: matcher`: the agent's final answer matches (for questions whose result is text).
- `all: [checks]`, `any: [checks]`, `not: check`.

A matcher is a literal (equality; numbers within 1e-6) or one operator mapping: `eq`, `ne`,
`contains`, `icontains`, `not_contains`, `contains_any`, `gt`, `gte`, `lt`, `lte`, `one_of`,
`not_one_of`, `endswith`, `not_endswith` (a list: none of the suffixes).

Paths, fields and tools are checked against the environment's state model when a task file
loads, so a typo is an error at its line, never a check that silently never passes.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Sequence
from typing import Annotated, Any, Union

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationInfo,
    model_validator,
)

__all__ = ["Check", "CheckContext", "MatchOp", "Matcher", "evaluate", "validate_check"]

Scalar = str | int | float | bool | None


class MatchOp(BaseModel):
    """One comparison; exactly one operator may be set."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    eq: Scalar = None
    ne: Scalar = None
    contains: str | None = None
    icontains: str | None = None
    not_contains: str | None = None
    contains_any: list[str] | None = None
    gt: float | None = None
    gte: float | None = None
    lt: float | None = None
    lte: float | None = None
    one_of: list[Scalar] | None = None
    not_one_of: list[Scalar] | None = None
    endswith: str | None = None
    not_endswith: list[str] | None = None

    @model_validator(mode="after")
    def _one(self) -> MatchOp:
        if len(self.model_fields_set) != 1:
            raise ValueError(
                f"a matcher has exactly one operator (of {', '.join(type(self).model_fields)})"
            )
        return self


def _matcher_kind(value: Any) -> str:
    return "op" if isinstance(value, dict | MatchOp) else "literal"


#: A literal, or a mapping read as one `MatchOp` (so a bad mapping gets the operator's errors,
#: not one error per scalar type it also failed to be).
Matcher = Annotated[
    Annotated[MatchOp, Tag("op")] | Annotated[Scalar, Tag("literal")],
    Discriminator(_matcher_kind),
]

_HEADS = ("exists", "absent", "value", "called", "not_called", "answer", "all", "any", "not")


class Check(BaseModel):
    """One predicate; see the module docstring for the language."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    exists: str | None = None
    absent: str | None = None
    where: dict[str, Matcher] = Field(default_factory=dict)
    at_least: int = Field(default=1, ge=1)
    value: str | None = None
    is_: Matcher = Field(default=None, alias="is")
    called: str | None = None
    not_called: str | None = None
    args: dict[str, Matcher] = Field(default_factory=dict)
    answer: Matcher = None
    all: list[Check] | None = None
    any: list[Check] | None = None
    not_: Check | None = Field(default=None, alias="not")

    @model_validator(mode="after")
    def _shape(self, info: ValidationInfo) -> Check:
        fields = self.model_fields_set
        names = {"is_": "is", "not_": "not"}
        heads = [names.get(f, f) for f in fields if names.get(f, f) in _HEADS]
        if len(heads) != 1:
            raise ValueError(f"a check has exactly one of {', '.join(_HEADS)} (found {heads})")
        head = heads[0]
        extras = {names.get(f, f) for f in fields} - {head}
        allowed = {
            "exists": {"where", "at_least"},
            "absent": {"where"},
            "value": {"is"},
            "called": {"args"},
            "not_called": {"args"},
        }.get(head, set())
        if extras - allowed:
            raise ValueError(f"{head!r} does not take {sorted(extras - allowed)}")
        if head == "value" and "is_" not in fields:
            raise ValueError("'value' needs 'is'")
        context = info.context or {}
        model = context.get("state_model")
        tools = context.get("tools")
        if model is not None and tools is not None:
            validate_check(self, model, tools)
        return self


class CheckContext(BaseModel):
    """What a check reads: the final state (as plain data), the calls that ran, the answer."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    state: dict[str, Any]
    calls: tuple[tuple[str, dict[str, Any]], ...] = ()
    answer: str | None = None


# -- validation against the state model -------------------------------------------------------


def _strip(annotation: Any) -> Any:
    """`X | None` → X."""
    if typing.get_origin(annotation) in (Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return annotation


def _step(annotation: Any, part: str, path: str) -> Any:
    annotation = _strip(annotation)
    origin = typing.get_origin(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if part == "*" or part not in annotation.model_fields:
            known = ", ".join(annotation.model_fields)
            raise ValueError(f"path {path!r}: {part!r} is not a field (fields: {known})")
        return annotation.model_fields[part].annotation
    if origin is dict:
        return typing.get_args(annotation)[1]
    if origin is list:
        if part != "*" and not part.isdigit():
            raise ValueError(f"path {path!r}: {part!r} indexes a list (use * or a number)")
        return typing.get_args(annotation)[0]
    raise ValueError(f"path {path!r}: cannot go into {part!r}")


def _type_at(model: type[BaseModel], path: str) -> Any:
    annotation: Any = model
    for part in path.split("."):
        annotation = _step(annotation, part, path)
    return _strip(annotation)


def _item_type(annotation: Any) -> Any:
    return typing.get_args(annotation)[0] if typing.get_origin(annotation) is list else annotation


def validate_check(check: Check, model: type[BaseModel], tools: Sequence[str]) -> None:
    """Raise ValueError when `check` names a path, field or tool the environment lacks."""
    if check.exists or check.absent:
        path = check.exists or check.absent or ""
        item = _strip(_item_type(_type_at(model, path)))
        for name in check.where:
            if name != "self":
                field: Any = item
                for part in name.split("."):
                    field = _step(field, part, f"{path}[].{name}")
    elif check.value:
        _type_at(model, check.value)
    elif check.called or check.not_called:
        tool_name = check.called or check.not_called
        if tool_name not in tools:
            raise ValueError(f"unknown tool {tool_name!r} (tools: {', '.join(tools)})")
    for sub in [*(check.all or ()), *(check.any or ()), *([check.not_] if check.not_ else [])]:
        validate_check(sub, model, tools)


# -- evaluation --------------------------------------------------------------------------------


def _resolve(data: Any, path: str) -> list[Any]:
    """The values at `path`, fanned out over `*`; a missing key gives no value."""
    nodes = [data]
    for part in path.split("."):
        nxt: list[Any] = []
        for node in nodes:
            if part == "*":
                nxt.extend(node.values() if isinstance(node, dict) else node)
            elif isinstance(node, dict) and part in node:
                nxt.append(node[part])
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                nxt.append(node[int(part)])
        nodes = nxt
    return nodes


def _items(data: Any, path: str) -> list[Any]:
    out: list[Any] = []
    for node in _resolve(data, path):
        out.extend(node if isinstance(node, list) else [node])
    return out


def _num(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    return float(value) if isinstance(value, int | float) else None


def _equal(a: Any, b: Any) -> bool:
    na, nb = _num(a), _num(b)
    if na is not None and nb is not None:
        return abs(na - nb) <= 1e-6
    return bool(a == b)


def matches(matcher: Matcher, value: Any) -> bool:
    """Whether `value` satisfies `matcher`."""
    if not isinstance(matcher, MatchOp):
        return _equal(matcher, value)
    op = next(iter(matcher.model_fields_set))
    arg = getattr(matcher, op)
    text = value if isinstance(value, str) else str(value)
    number = _num(value)
    match op:
        case "eq":
            return _equal(arg, value)
        case "ne":
            return not _equal(arg, value)
        case "contains":
            return str(arg) in text
        case "icontains":
            return str(arg).casefold() in text.casefold()
        case "not_contains":
            return str(arg) not in text
        case "contains_any":
            return any(a.casefold() in text.casefold() for a in arg)
        case "one_of":
            return any(_equal(a, value) for a in arg)
        case "not_one_of":
            return not any(_equal(a, value) for a in arg)
        case "endswith":
            return text.endswith(arg)
        case "not_endswith":
            return not any(text.endswith(a) for a in arg)
    if number is None:
        return False
    return bool(
        {
            "gt": number > arg,
            "gte": number >= arg,
            "lt": number < arg,
            "lte": number <= arg,
        }[op]
    )


def _fits(item: Any, where: dict[str, Matcher]) -> bool:
    for name, matcher in where.items():
        values = [item] if name == "self" else _resolve(item, name)
        if not values or not matches(matcher, values[0]):
            return False
    return True


def evaluate(check: Check, context: CheckContext) -> bool:
    """Whether `check` holds in `context`."""
    if check.exists is not None:
        hits = sum(1 for item in _items(context.state, check.exists) if _fits(item, check.where))
        return hits >= check.at_least
    if check.absent is not None:
        return not any(_fits(item, check.where) for item in _items(context.state, check.absent))
    if check.value is not None:
        values = _resolve(context.state, check.value)
        return bool(values) and matches(check.is_, values[0])
    if check.called is not None or check.not_called is not None:
        name = check.called or check.not_called
        hit = any(tool == name and _fits(args, check.args) for tool, args in context.calls)
        return hit if check.called is not None else not hit
    if check.all is not None:
        return all(evaluate(sub, context) for sub in check.all)
    if check.any is not None:
        return any(evaluate(sub, context) for sub in check.any)
    if check.not_ is not None:
        return not evaluate(check.not_, context)
    return context.answer is not None and matches(check.answer, context.answer)
