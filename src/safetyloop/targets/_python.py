"""`python`: a callable of the team's own (a pipeline, an agent) as a target.

Its version follows its code: the target's configuration holds the SHA-256 of the source of
the module named in the path (and of the module that defines the callable, when that is another
one) and the installed version of the distribution that ships it, so a changed function is a new
version, a new plan, and never served from the answer cache. An explicit `version:` in a targets
file replaces the code hashes (the team then owns bumping it).

In a long-lived process (a notebook, a service, the tests), a module whose file changed since a
target was last built from it is executed again from the source just hashed, so the answers come
from the code the version names. (The first build takes a module someone imported earlier as it
is loaded.)
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib
import importlib.metadata
import inspect
import sys
from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

from safetyloop.errors import InputError
from safetyloop.suites import Message
from safetyloop.targets._registry import target_kind
from safetyloop.targets._target import GenerateParams, Target, TargetError, TargetResponse

#: Module name -> SHA-256 of the source its loaded code was executed from (by this module).
_LOADED: dict[str, str] = {}


def _split(path: str) -> tuple[str, str]:
    module_name, sep, attr = path.partition(":")
    if not sep:
        module_name, _, attr = path.rpartition(".")
    if not module_name or not attr:
        raise InputError(f"not a dotted path to a callable: {path!r}", hint="use module:function")
    return module_name, attr


def _source_file(module: ModuleType) -> Path | None:
    """The module's `.py` file, or None (a built-in, a C extension, a namespace package)."""
    try:
        found = inspect.getsourcefile(module)
    except TypeError:
        return None
    return Path(found) if found and Path(found).is_file() else None


def _fresh(module: ModuleType, *, force: bool = False) -> tuple[str | None, bool]:
    """The digest of the module's file now (None: no source), and whether its code was re-run.

    A module this process loaded from other source than the file holds now (or any module with
    `force`) is executed again from the bytes hashed here, not from a bytecode cache that may
    predate the change.
    """
    path = _source_file(module)
    if path is None:
        return None, False
    source = path.read_bytes()
    digest = hashlib.sha256(source).hexdigest()
    if _LOADED.setdefault(module.__name__, digest) == digest and not force:
        return digest, False
    try:
        exec(compile(source, str(path), "exec", dont_inherit=True), module.__dict__)
    except Exception as exc:
        raise InputError(f"cannot load the changed module {path}: {exc}") from exc
    _LOADED[module.__name__] = digest
    return digest, True


def _resolve(module: ModuleType, attr: str, path: str) -> Any:
    obj: Any = module
    try:
        for part in attr.split("."):
            obj = getattr(obj, part)
    except AttributeError as exc:
        raise InputError(f"cannot import {path!r}: {exc}") from exc
    return obj


@cache
def _distributions() -> dict[str, list[str]]:
    return dict(importlib.metadata.packages_distributions())


def distribution_of(module_name: str) -> str | None:
    """`name==version` of the installed distribution(s) providing the module's top package."""
    names = sorted(set(_distributions().get(module_name.split(".", 1)[0], [])))
    return ",".join(f"{n}=={importlib.metadata.version(n)}" for n in names) or None


def load_callable(path: str) -> tuple[Callable[..., Any], dict[str, str]]:
    """Import `package.module:function` (or `package.module.function`), with the digests of
    the source it runs: `{module name: sha256}` of the named module and of the module that
    defines the callable, when that is another one."""
    module_name, attr = _split(path)
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise InputError(f"cannot import {path!r}: {exc}") from exc
    digest, _ = _fresh(module)
    obj = _resolve(module, attr, path)
    code = {module_name: digest} if digest else {}
    defined_in = getattr(obj, "__module__", None) or type(obj).__module__
    home = sys.modules.get(defined_in) if defined_in != module_name else None
    if home is not None:
        home_digest, rerun = _fresh(home)
        if home_digest:
            code[home.__name__] = home_digest
        if rerun:  # names the module imported from `home` are the old ones until it runs again
            _fresh(module, force=True)
            obj = _resolve(module, attr, path)
    if not callable(obj):
        raise InputError(f"{path!r} is not callable")
    return obj, code


class PythonTarget(Target):
    """Calls `fn(messages: list[dict], params: dict) -> str` (sync or async).

    `config` (hence `version`) holds the callable's path and either the explicit `version`
    given in `params` or the digests of its source and its distribution (see the module
    docstring). A sync callable runs in a worker thread so it cannot stall the runner. An
    exception or a non-string return is an error, never an answer.
    """

    kind = "python"

    def __init__(self, name: str, params: dict[str, Any]) -> None:
        path = str(params["callable"])
        self._fn, code = load_callable(path)
        explicit = params.get("version")
        config: dict[str, Any] = {"callable": path}
        if explicit is not None:
            config["version"] = str(explicit)
        else:
            modules = sorted({_split(path)[0], *code})
            dists = sorted(filter(None, (distribution_of(m) for m in modules)))
            if not code and not dists:
                raise InputError(
                    f"cannot version python target {name!r}: {path!r} has no readable source "
                    "and no installed distribution",
                    hint="give it an explicit version: in a targets file",
                )
            config.update(code=code, distribution=",".join(dists) or None)
        super().__init__(name, config)
        self.max_concurrency = int(params.get("concurrency", 4))

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


@target_kind("python", params=("callable", "concurrency", "version"))
def _create(name: str, params: dict[str, Any]) -> Target:
    return PythonTarget(name, params)
