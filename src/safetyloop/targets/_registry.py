"""Target registry: target kinds register by name; third parties through entry points."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from safetyloop._registry import Registry, callables
from safetyloop.targets._target import Target

TargetFactory = Callable[[str, dict[str, Any]], Target]


#: Every target kind. Built-in providers register on import; each imports its optional SDK lazily.
TARGETS: Registry[TargetFactory] = Registry(
    "target kind",
    "safetyloop.targets",
    builtins=(
        "safetyloop.targets._anthropic",
        "safetyloop.targets._local",
        "safetyloop.targets._openai",
        "safetyloop.targets._python",
        "safetyloop.targets._recorded",
    ),
    accept=callables("a factory (name, params) -> Target"),
)


#: `(params) -> [(key or None for params as a whole, problem)]`: what a kind's factory would
#: refuse in a targets file's params, found when the file is loaded, without building anything.
ParamsCheck = Callable[[dict[str, Any]], list[tuple[str | None, str]]]

#: Kind → the `params:` keys its factory reads, for the kinds that declare them.
_PARAMS: dict[str, frozenset[str]] = {}
#: Kind → its own check of those params, for the kinds that have one.
_CHECKS: dict[str, ParamsCheck] = {}


def target_kind(
    kind: str, params: Iterable[str] | None = None
) -> Callable[[TargetFactory], TargetFactory]:
    """Register a factory `(name, params) -> Target` under `kind`.

    `params` are the keys it reads: a targets file giving any other key is refused where it is
    loaded, so a misspelt `api_key_env` is an error rather than a silent default. None (a plugin
    that does not say) accepts any key.
    """

    def register(factory: TargetFactory) -> TargetFactory:
        if params is not None:
            declare_target_params(kind, params)
        return TARGETS.register(kind, factory)

    return register


def declare_target_params(
    kind: str, params: Iterable[str], check: ParamsCheck | None = None
) -> None:
    """Declare the `params:` keys `kind` reads (and `check`, what it would refuse in them), for
    a kind registered by entry point only."""
    _PARAMS[kind] = frozenset(params)
    if check is not None:
        _CHECKS[kind] = check


def target_params(kind: str) -> frozenset[str] | None:
    """The `params:` keys a registered kind reads, or None when it does not declare them.

    Looks the kind up first: a plugin declares its keys when its module is imported.
    """
    TARGETS.find(kind)
    return _PARAMS.get(kind)


def target_params_problems(kind: str, params: dict[str, Any]) -> list[tuple[str | None, str]]:
    """What `kind`'s own check finds wrong in `params` (nothing when it declares no check)."""
    TARGETS.find(kind)
    check = _CHECKS.get(kind)
    return check(params) if check is not None else []


def target_kinds() -> list[str]:
    """Names of every registered target kind."""
    return TARGETS.names()


def create_target(kind: str, name: str, params: dict[str, Any]) -> Target:
    """Build a target of a registered kind."""
    return TARGETS.get(kind)(name, params)
