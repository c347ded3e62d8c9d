"""One registry type for every pluggable kind: targets, scorers, suites, transforms, strategies,
gate rules and output formats.

Why one type: every kind gets the same rules. A name is registered once (a second, different
registration raises). Built-ins are declared as the modules that register them, imported on first
use; plugins are entry points, imported only when their name is looked up, and a plugin that fails
to load is reported against its own name (on lookup, and by `failures`) without breaking any other
lookup. Tests work on a fresh copy with `Registry.isolated`, instead of patching private globals.
"""

from __future__ import annotations

import difflib
import importlib
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from importlib.metadata import entry_points
from typing import Any, Generic, Protocol, TypeVar

from safetyloop.errors import InputError, PluginError

T = TypeVar("T")

__all__ = ["EntryPointLike", "Registry", "callables"]


class EntryPointLike(Protocol):
    """What the registry needs of an entry point (`importlib.metadata.EntryPoint` is one)."""

    @property
    def name(self) -> str: ...

    @property
    def value(self) -> str: ...

    def load(self) -> object: ...


class Registry(Generic[T]):
    """Names → objects of one kind, with lazily loaded entry-point plugins.

    Args:
        kind: What an entry is called in messages ("scorer", "target kind").
        group: The entry-point group plugins publish under (`safetyloop.scorers`).
        builtins: Modules whose import registers the built-in entries; imported on first use.
        accept: Turns what a plugin's entry point loads into an entry, or raises (TypeError,
            ValueError) saying why it is not one; the error is that plugin's failure.
    """

    def __init__(
        self,
        kind: str,
        group: str,
        *,
        builtins: Sequence[str] = (),
        accept: Callable[[str, object], T] | None = None,
    ) -> None:
        self.kind = kind
        self.group = group
        self._builtins = tuple(builtins)
        self._accept = accept
        self._lock = threading.RLock()
        self._items: dict[str, T] = {}
        self._plugins: dict[str, EntryPointLike] | None = None  # None: not discovered yet
        self._failures: dict[str, str] = {}

    def register(self, name: str, item: T) -> T:
        """Add `item` under `name`; registering the very same object again is a no-op.

        Raises:
            ValueError: `name` already holds another object.
        """
        with self._lock:
            existing = self._items.get(name)
            if existing is not None and existing is not item:
                raise ValueError(f"{self.kind} {name!r} is already registered ({existing!r})")
            self._items[name] = item
        return item

    def names(self) -> list[str]:
        """Every registered and declared name, sorted, without importing any plugin."""
        plugins = self._discover()
        with self._lock:
            return sorted({*self._items, *plugins})

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name in self.names()

    def find(self, name: str) -> T | None:
        """The entry called `name` (its plugin loaded on first use), or None when none is.

        Raises:
            PluginError: the plugin declaring `name` failed to load.
        """
        plugins = self._discover()
        with self._lock:
            if name in self._items:
                return self._items[name]
            entry_point = plugins.get(name)
            if entry_point is None:
                return None
            if name not in self._failures:
                try:
                    loaded = entry_point.load()
                    # A plugin may register itself on import; what it registered wins.
                    item = self._items[name] if name in self._items else self._adopt(name, loaded)
                except Exception as exc:  # a plugin's own bug stays with its name
                    self._failures[name] = (
                        f"cannot load {entry_point.value!r}: {type(exc).__name__}: {exc}"
                    )
                else:
                    self._items[name] = item
                    return item
            raise PluginError(
                f"{self.kind} plugin {name!r} failed to load: {self._failures[name]}",
                hint="fix or reinstall the package that provides it",
            )

    def get(self, name: str) -> T:
        """The entry called `name`.

        Raises:
            InputError: no entry is called `name` (the message lists the known ones).
            PluginError: the plugin declaring `name` failed to load.
        """
        item = self.find(name)
        if item is None:
            known = self.names()
            close = difflib.get_close_matches(name, known, n=3)
            hint = f"did you mean {', '.join(close)}? " if close else ""
            raise InputError(
                f"unknown {self.kind} {name!r}", hint=hint + f"known: {', '.join(known)}"
            )
        return item

    def failures(self) -> dict[str, str]:
        """Why each unusable plugin is unusable, by name (every plugin is loaded to find out)."""
        for name in self.names():
            with suppress(PluginError):
                self.find(name)
        with self._lock:
            return dict(self._failures)

    @contextmanager
    def isolated(self, plugins: Iterable[EntryPointLike] | None = None) -> Iterator[Registry[T]]:
        """A fresh copy for a test: the built-ins, and `plugins` in place of the installed entry
        points when given. Whatever is registered or loaded inside is forgotten on exit."""
        installed = self._discover()
        with self._lock:
            saved = (dict(self._items), self._plugins, dict(self._failures))
            if plugins is not None:
                self._plugins, self._failures = {}, {}
                self._declare(self._plugins, plugins)
            else:
                self._plugins = dict(installed)
        try:
            yield self
        finally:
            with self._lock:
                self._items, self._plugins, self._failures = saved

    def _adopt(self, name: str, loaded: object) -> T:
        if self._accept is None:
            return loaded  # type: ignore[return-value]  # an untyped registry takes anything
        return self._accept(name, loaded)

    def _discover(self) -> dict[str, EntryPointLike]:
        """Import the built-ins and list the plugins' entry points (without importing them)."""
        plugins = self._plugins
        if plugins is not None:
            return plugins
        with self._lock:
            if self._plugins is None:
                for module in self._builtins:
                    importlib.import_module(module)
                self._plugins = {}
                self._declare(self._plugins, entry_points(group=self.group))
            return self._plugins

    def _declare(self, plugins: dict[str, EntryPointLike], found: Iterable[EntryPointLike]) -> None:
        """Record plugins by name into `plugins`; a name two plugins (or a built-in) claim is that
        name's failure, reported rather than resolved by install order."""
        for ep in found:
            other = plugins.get(ep.name)
            if other is not None and other.value == ep.value:
                continue  # the same declaration seen twice (e.g. an editable install)
            if ep.name in self._items:
                self._failures[ep.name] = (
                    f"plugin {ep.value!r} ignored: {ep.name!r} is a built-in {self.kind}"
                )
                continue
            if other is not None:
                self._failures[ep.name] = (
                    f"declared by two plugins, {other.value!r} and {ep.value!r}"
                )
            plugins[ep.name] = ep


def callables(what: str) -> Callable[[str, object], Callable[..., Any]]:
    """An `accept` for registries of functions or classes: a plugin must at least be callable."""

    def accept(name: str, loaded: object) -> Callable[..., Any]:
        if not callable(loaded):
            raise TypeError(f"{loaded!r} is not {what}")
        return loaded

    return accept


def instances_of(cls: type[T], what: str) -> Callable[[str, object], T]:
    """An `accept` for registries of objects of one type: a plugin must publish an instance."""

    def accept(name: str, loaded: object) -> T:
        if not isinstance(loaded, cls):
            raise TypeError(f"{loaded!r} is not {what}")
        return loaded

    return accept
