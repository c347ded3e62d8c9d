"""Finding one record by its id or a unique prefix of it, as every `show` command does."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, TypeVar

from safetyloop.errors import InputError


class _HasId(Protocol):
    @property
    def id(self) -> str: ...


T = TypeVar("T", bound=_HasId)


def by_prefix(items: Iterable[T], ref: str, noun: str, hint: str) -> T:
    """The one item whose id starts with `ref`; InputError (exit 2) for none or several."""
    found = [item for item in items if item.id.startswith(ref)]
    if len(found) != 1:
        problem = f"no {noun} {ref!r}" if not found else f"{noun} reference {ref!r} is ambiguous"
        raise InputError(problem, hint=hint)
    return found[0]
