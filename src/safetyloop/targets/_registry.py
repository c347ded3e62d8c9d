"""Target registry: target kinds register by name; third parties through entry points."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from safetyloop._registry import Registry, callables
from safetyloop.targets._target import Target

TargetFactory = Callable[[str, dict[str, Any]], Target]


#: Every target kind. Built-in providers register on import; each imports its optional SDK lazily.
TARGETS: Registry[TargetFactory] = Registry(
    "target kind",
    "safetyloop.targets",
    builtins=(
        "safetyloop.targets._local",
        "safetyloop.targets._openai",
        "safetyloop.targets._python",
        "safetyloop.targets._recorded",
    ),
    accept=callables("a factory (name, params) -> Target"),
)


def target_kind(kind: str) -> Callable[[TargetFactory], TargetFactory]:
    """Register a factory `(name, params) -> Target` under `kind`."""

    def register(factory: TargetFactory) -> TargetFactory:
        return TARGETS.register(kind, factory)

    return register


def target_kinds() -> list[str]:
    """Names of every registered target kind."""
    return TARGETS.names()


def create_target(kind: str, name: str, params: dict[str, Any]) -> Target:
    """Build a target of a registered kind."""
    return TARGETS.get(kind)(name, params)
