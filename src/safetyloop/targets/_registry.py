"""Target registry: target kinds register by name; third parties through entry points."""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Any

from safetyloop.errors import InputError
from safetyloop.targets._target import Target

TargetFactory = Callable[[str, dict[str, Any]], Target]

_FACTORIES: dict[str, TargetFactory] = {}
_ENTRY_POINT_GROUP = "safetyloop.targets"


def target_kind(kind: str) -> Callable[[TargetFactory], TargetFactory]:
    """Register a factory `(name, params) -> Target` under `kind`."""

    def register(factory: TargetFactory) -> TargetFactory:
        _FACTORIES[kind] = factory
        return factory

    return register


def _load_builtin_and_plugins() -> None:
    # Built-in providers register on import; each imports its optional SDK lazily.
    from safetyloop.targets import _local, _openai, _python, _recorded  # noqa: F401

    for ep in entry_points(group=_ENTRY_POINT_GROUP):
        if ep.name not in _FACTORIES:
            _FACTORIES[ep.name] = ep.load()


def target_kinds() -> list[str]:
    """Names of every registered target kind."""
    _load_builtin_and_plugins()
    return sorted(_FACTORIES)


def create_target(kind: str, name: str, params: dict[str, Any]) -> Target:
    """Build a target of a registered kind."""
    _load_builtin_and_plugins()
    try:
        factory = _FACTORIES[kind]
    except KeyError:
        raise InputError(
            f"unknown target kind {kind!r}", hint=f"known kinds: {', '.join(sorted(_FACTORIES))}"
        ) from None
    return factory(name, params)
