"""The suite registry: bundled suites, third-party plugins and user files behind one name lookup.

Suites register by name with the `@suite` decorator, in the way Inspect registers tasks.
Third-party packages publish suites through the `safetyloop.suites` entry-point group; the
shared `Registry` imports those only when a lookup needs them, so a broken plugin cannot break
the bundled suites.
"""

from __future__ import annotations

import difflib
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from safetyloop._registry import Registry, callables
from safetyloop.errors import InputError
from safetyloop.suites._case import Case
from safetyloop.suites._suite import Suite
from safetyloop.suites._userfile import load_user_suite

__all__ = [
    "ENTRY_POINT_GROUP",
    "SUITES",
    "USER_SUITE_SUFFIXES",
    "SuiteInfo",
    "SuiteLoader",
    "load_suite",
    "resolve_suite_file",
    "suite",
    "suite_info",
    "suite_names",
]

ENTRY_POINT_GROUP = "safetyloop.suites"
USER_SUITE_SUFFIXES = (".jsonl", ".csv", ".yaml", ".yml")


@dataclass(frozen=True)
class SuiteInfo:
    """What listings show about a suite, known without loading its cases."""

    name: str
    description: str
    source: str
    license: str


@dataclass(frozen=True)
class SuiteLoader:
    """A registered suite: its info and the zero-argument callable that builds it.

    Calling it builds the `Suite` afresh; `load_suite` is the cached way in, unless `cached` is
    False (a suite read from a store changes between lookups).
    """

    info: SuiteInfo
    build_cases: Callable[[], Iterable[Case]]
    cached: bool = True

    def __call__(self) -> Suite:
        return Suite(
            name=self.info.name,
            description=self.info.description,
            source=self.info.source,
            license=self.info.license,
            cases=tuple(self.build_cases()),
        )


#: Every registered suite: the bundled ones register on import, plugins through entry points.
SUITES: Registry[Callable[[], Suite]] = Registry(
    "suite",
    ENTRY_POINT_GROUP,
    builtins=("safetyloop.suites._bundled",),
    accept=callables("a zero-argument callable returning a Suite"),
)

_lock = threading.Lock()
#: Loaded suites by name, with the loader that built each (a re-registered name reloads).
_cache: dict[str, tuple[Callable[[], Suite], Suite]] = {}
_file_cache: dict[tuple[str, int, int], Suite] = {}


def suite(
    name: str, *, description: str, source: str, license: str
) -> Callable[[Callable[[], Iterable[Case]]], SuiteLoader]:
    """Register a zero-argument function that yields a suite's cases under `name`.

    The decorated object is a `SuiteLoader`: calling it returns the `Suite`, so it can also be the
    value of a `safetyloop.suites` entry point. Cases must carry `suite=name`.
    """

    def decorate(build_cases: Callable[[], Iterable[Case]]) -> SuiteLoader:
        loader = SuiteLoader(SuiteInfo(name, description, source, license), build_cases)
        SUITES.register(name, loader)
        return loader

    return decorate


def suite_names() -> list[str]:
    """Every registered suite name (bundled and plugins), sorted."""
    return SUITES.names()


def suite_info() -> list[SuiteInfo]:
    """Name, description, source and licence of every suite, sorted by name.

    Bundled suites and plugins built with `@suite` answer without loading their cases; a plugin
    that is a plain callable has to be loaded once to learn its attribution. A plugin that fails
    to import is listed with the error as its description rather than hidden.
    """
    infos = []
    for name in suite_names():
        try:
            loader = SUITES.get(name)
            info = loader.info if isinstance(loader, SuiteLoader) else _info(load_suite(name))
        except InputError as exc:
            info = SuiteInfo(name, f"(unavailable: {exc.message})", "", "")
        infos.append(info)
    return infos


def _info(loaded: Suite) -> SuiteInfo:
    return SuiteInfo(loaded.name, loaded.description, loaded.source, loaded.license)


def load_suite(name_or_path: str) -> Suite:
    """The suite registered as `name_or_path`, or the user suite in that file; cached per process.

    A registered name wins over a file of the same name. A user file is cached on its path,
    modification time and size, so editing it between calls is picked up.

    Raises:
        InputError: unknown name, missing file, or a plugin that fails to load.
        ConfigError: a user file with invalid records (every problem listed).
    """
    loader = SUITES.find(name_or_path)
    if loader is not None:
        return _load_registered(name_or_path, loader)
    path = Path(name_or_path)
    if path.suffix.lower() in USER_SUITE_SUFFIXES or path.exists():
        return _load_file(path)
    close = difflib.get_close_matches(name_or_path, suite_names(), n=3)
    hint = f"did you mean {', '.join(close)}? " if close else ""
    raise InputError(
        f"unknown suite {name_or_path!r}",
        hint=hint + f"known suites: {', '.join(suite_names())}; or give a path to a "
        f"{'/'.join(USER_SUITE_SUFFIXES)} file",
    )


def resolve_suite_file(ref: str, base: Path) -> tuple[str, Path] | None:
    """The user suite a constitution names by file: (its suite name, the resolved path).

    `ref` is read relative to `base` (the constitution's folder). None when `ref` is a registered
    suite name (a registered name wins, as in `load_suite`) or does not look like a file (no
    user-suite suffix, no folder): the caller checks it as a name.

    Raises:
        InputError: the file does not exist.
        ConfigError: the file has invalid records (every problem as `file:line: field: message`).
    """
    if ref in suite_names() or (
        Path(ref).suffix.lower() not in USER_SUITE_SUFFIXES and "/" not in ref
    ):
        return None
    path = base / ref
    if not path.is_file():
        raise InputError(
            f"no suite file {ref} (looked for {path.resolve()})",
            hint="suite files are read relative to the constitution file",
        )
    return _load_file(path).name, path.resolve()


def _load_registered(name: str, loader: Callable[[], Suite]) -> Suite:
    with _lock:
        cached = _cache.get(name)
    if cached is not None and cached[0] is loader:
        return cached[1]
    try:
        loaded = loader()
    except InputError:
        raise
    except Exception as exc:
        raise InputError(
            f"suite {name!r} failed to load: {type(exc).__name__}: {exc}",
            hint="if it comes from a plugin, fix or reinstall that package",
        ) from exc
    if not isinstance(loaded, Suite):
        raise InputError(f"suite {name!r}: loader returned {type(loaded).__name__}, not a Suite")
    if loaded.name != name:
        raise InputError(f"suite {name!r}: loader returned a suite named {loaded.name!r}")
    if not getattr(loader, "cached", True):
        return loaded
    with _lock:
        _cache[name] = (loader, loaded)
    return loaded


def _load_file(path: Path) -> Suite:
    try:
        stat = path.stat()
    except OSError:
        return load_user_suite(path)  # raises the InputError for a missing file
    key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size)
    with _lock:
        cached = _file_cache.get(key)
    if cached is not None:
        return cached
    loaded = load_user_suite(path)
    with _lock:
        return _file_cache.setdefault(key, loaded)
