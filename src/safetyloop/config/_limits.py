"""Bounds on what a user file may hold, so hostile input is an error (exit 2), never a hang.

Every file the product reads (YAML, JSONL, CSV, JSON) goes through `read_limited` (size) and
`decode_utf8` (encoding, the bad byte named by line and offset); parsed values through
`depth_over` (nesting). The limits are constants, the sizes adjustable by environment variable,
because a large suite is legitimate where a large constitution is a mistake.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from safetyloop.errors import ConfigError, InputError

__all__ = [
    "MAX_DEPTH",
    "MAX_FILE_MB_ENV",
    "MAX_YAML_ALIASES",
    "MAX_YAML_MB_ENV",
    "MAX_YAML_NODES",
    "decode_utf8",
    "depth_over",
    "max_file_bytes",
    "read_limited",
    "read_text",
    "utf8_problem",
]

#: Deepest nesting of lists and mappings in any file (a constitution needs 5, metadata a few).
MAX_DEPTH = 64
#: Most `*alias` references in one YAML file (merge keys and a shared default need a handful).
MAX_YAML_ALIASES = 100
#: Most YAML nodes once aliases are expanded: bounds an alias bomb's work and memory.
MAX_YAML_NODES = 1_000_000

MAX_FILE_MB_ENV = "SAFETYLOOP_MAX_FILE_MB"
MAX_YAML_MB_ENV = "SAFETYLOOP_MAX_YAML_MB"
_DEFAULT_MB = {MAX_FILE_MB_ENV: 64.0, MAX_YAML_MB_ENV: 4.0}
_MB = 1024 * 1024


def max_file_bytes(variable: str = MAX_FILE_MB_ENV) -> int:
    """The size limit in bytes: `variable` (megabytes) if set, else its default.

    YAML files have their own, smaller limit (`SAFETYLOOP_MAX_YAML_MB`, 4 MB): the line-aware
    YAML parser reads about 0.5 MB a second, JSONL and CSV far faster.
    """
    raw = os.environ.get(variable, "").strip()
    if not raw:
        return int(_DEFAULT_MB[variable] * _MB)
    try:
        megabytes = float(raw)
    except ValueError:
        megabytes = -1.0
    if not megabytes > 0 or megabytes == float("inf"):
        raise InputError(
            f"{variable}={raw!r}: not a positive number of megabytes",
            hint=f"unset it for the default of {_DEFAULT_MB[variable]:g} MB",
        )
    return int(megabytes * _MB)


def read_limited(path: Path, variable: str = MAX_FILE_MB_ENV) -> bytes:
    """The bytes of `path`, refused before reading when larger than the limit in `variable`.

    An unreadable file is a ConfigError (exit 2) naming it, as a malformed one is.
    """
    limit = max_file_bytes(variable)
    try:
        size = path.stat().st_size
        if size > limit:
            raise ConfigError(
                f"{path}: too large to read",
                problems=[
                    f"{path}:1: <file>: {size / _MB:.1f} MB is over the "
                    f"{limit / _MB:.3g} MB limit for this kind of file"
                ],
                hint=f"set {variable} (megabytes) to raise the limit",
            )
        with path.open("rb") as handle:
            data = handle.read(limit + 1)  # the file may have grown since stat()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    if len(data) > limit:
        raise ConfigError(
            f"{path}: too large to read",
            problems=[f"{path}:1: <file>: over the {limit / _MB:.3g} MB limit"],
            hint=f"set {variable} (megabytes) to raise the limit",
        )
    return data


def utf8_problem(data: bytes, exc: UnicodeDecodeError) -> tuple[int, str]:
    """(line, message) for a decoding error: the line, the byte offset and the byte itself."""
    line = data.count(b"\n", 0, exc.start) + 1
    bad = data[exc.start : exc.start + 1].hex()
    return line, f"not UTF-8 text: byte 0x{bad} at offset {exc.start} ({exc.reason})"


def decode_utf8(data: bytes, path: Path) -> str:
    """UTF-8 text (a byte-order mark allowed); else a ConfigError naming the line and byte."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line, message = utf8_problem(data, exc)
        raise ConfigError(
            f"{path}: not UTF-8 text",
            problems=[f"{path}:{line}: <file>: {message}"],
            hint="save the file as UTF-8",
        ) from None


def read_text(path: Path, variable: str = MAX_FILE_MB_ENV) -> str:
    """The UTF-8 text of `path`, size-limited; every failure a ConfigError (exit 2) naming it."""
    return decode_utf8(read_limited(path, variable), path)


def depth_over(value: Any, limit: int = MAX_DEPTH) -> tuple[str | int, ...] | None:
    """The key path where `value` nests deeper than `limit` lists or mappings, else None.

    Iterative, so a hostile value cannot exhaust the stack of the check meant to stop it.
    """
    stack: list[tuple[Any, int, tuple[str | int, ...]]] = [(value, 0, ())]
    while stack:
        item, depth, path = stack.pop()
        if isinstance(item, Mapping):
            children: list[tuple[str | int, Any]] = [
                (key if isinstance(key, str | int) else str(key), child)
                for key, child in item.items()
            ]
        elif isinstance(item, list | tuple):
            children = list(enumerate(item))
        else:
            continue
        if depth + 1 > limit:
            return path
        stack.extend((child, depth + 1, (*path, key)) for key, child in children)
    return None
