"""Line-aware YAML loading: every config mistake is reported as `file:line: key.path: message`.

PyYAML's `safe_load` forgets where values came from and silently keeps the last of two duplicate
keys. We compose the node tree ourselves so that each key path maps to the line it was written on,
duplicates are caught, and pydantic's errors can be pointed back at the file a person edits.

The loader is also bounded (`_limits`): file size, nesting depth, alias count and the size of the
tree once aliases are expanded, so hostile YAML is an error, never a hang or a RecursionError.
Plain scalars are never read as dates (`name: 2026-13-45` stays a string): the models turn ISO
strings into dates where their schema wants one.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from safetyloop.config._limits import (
    MAX_DEPTH,
    MAX_YAML_ALIASES,
    MAX_YAML_MB_ENV,
    MAX_YAML_NODES,
    decode_utf8,
    read_limited,
)
from safetyloop.errors import ConfigError

__all__ = ["KeyPath", "LineMap", "format_path", "load_model", "load_yaml"]

KeyPath = tuple[str | int, ...]
M = TypeVar("M", bound=BaseModel)

_MERGE_TAG = "tag:yaml.org,2002:merge"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"


class _BoundedLoader(yaml.SafeLoader):
    """SafeLoader with bounded nesting and aliases, and no implicit dates.

    Every problem is raised as a MarkedYAMLError, so it is reported with its line like a syntax
    error; a scalar that cannot be constructed (`!!int x`, a 5000-digit integer) included.
    """

    # plain `2026-01-01` stays a string; an explicit `!!timestamp` still constructs a date
    yaml_implicit_resolvers: ClassVar[dict[Any, list[tuple[str, Any]]]] = {  # type: ignore[misc]
        first: [(tag, regexp) for tag, regexp in resolvers if tag != _TIMESTAMP_TAG]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._aliases = 0
        self._open_anchors: list[str] = []

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        event: yaml.Event = self.peek_event()  # type: ignore[no-untyped-call]
        mark = typing.cast(yaml.Mark | None, event.start_mark)
        if isinstance(event, yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_YAML_ALIASES:
                raise yaml.composer.ComposerError(
                    None, None, f"more than {MAX_YAML_ALIASES} aliases", mark
                )
            if event.anchor in self._open_anchors:
                raise yaml.composer.ComposerError(
                    None, None, f"alias *{event.anchor} is inside its own anchor", mark
                )
            return super().compose_node(parent, index)
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise yaml.composer.ComposerError(
                None, None, f"nested deeper than {MAX_DEPTH} levels", mark
            )
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            self._open_anchors.append(anchor)
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1
            if anchor is not None:
                self._open_anchors.pop()

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, TypeError, OverflowError) as exc:
            tag = node.tag.rsplit(":", 1)[-1]
            raise yaml.constructor.ConstructorError(
                None, None, f"invalid {tag} {_short(node.value)}: {exc}", node.start_mark
            ) from None


def _short(value: Any) -> str:
    text = repr(value) if isinstance(value, str) else type(value).__name__
    return text if len(text) <= 40 else f"{text[:37]}..."


def _expanded_size(root: yaml.Node) -> int:
    """Nodes in the tree with every alias expanded, counted without expanding them.

    Sizes are memoised per node (an alias is the same node object as its anchor), so an alias
    bomb of a billion nodes is measured in as many steps as it has distinct nodes.
    """
    sizes: dict[int, int] = {}
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if id(node) in sizes:
            continue
        children = _children(node)
        if children_done:
            sizes[id(node)] = 1 + sum(sizes[id(child)] for child in children)
        else:
            stack.append((node, True))
            stack.extend((child, False) for child in children if id(child) not in sizes)
    return sizes[id(root)]


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


class LineMap(dict[KeyPath, int]):
    """Key path → 1-based line of the key (mapping entries) or of the item (sequence entries)."""

    def nearest(self, path: Sequence[str | int]) -> int:
        """Line of the deepest prefix of `path` that exists in the file (1 if none does)."""
        for end in range(len(path), -1, -1):
            line = self.get(tuple(path[:end]))
            if line is not None:
                return line
        return 1


def format_path(path: Sequence[str | int]) -> str:
    """Dotted key path as people write it: `principles.2.criteria.0.threshold`."""
    return ".".join(str(part) for part in path) if path else "<root>"


class _Problems(list[tuple[int, str]]):
    """Problems found while reading a file: (line, `file:line: path: message`)."""


def _key_of(node: yaml.Node, loader: yaml.SafeLoader) -> str | int:
    """The Python value of a mapping key, reduced to the str/int a key path can hold."""
    value = loader.construct_object(node, deep=True)
    return value if isinstance(value, str | int) and not isinstance(value, bool) else str(value)


def _walk(
    node: yaml.Node,
    path: KeyPath,
    loader: yaml.SafeLoader,
    lines: LineMap,
    problems: _Problems,
    file: str,
    seen: set[int],
) -> None:
    """Record the line of every key path below `node` and report duplicate keys."""
    if id(node) in seen:  # an alias: its lines were recorded where the anchor was defined
        return
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        first_line: dict[str | int, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:  # `<<: *base` merges keys into this mapping
                merged = (
                    value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
                )
                for source in merged:
                    _walk(source, path, loader, lines, problems, file, seen)
                continue
            key = _key_of(key_node, loader)
            line = key_node.start_mark.line + 1
            if key in first_line:
                text = f"duplicate key {key!r} (first defined on line {first_line[key]})"
                problems.append((line, f"{file}:{line}: {format_path((*path, key))}: {text}"))
                continue
            first_line[key] = line
            lines[(*path, key)] = line
            _walk(value_node, (*path, key), loader, lines, problems, file, seen)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines[(*path, index)] = item.start_mark.line + 1
            _walk(item, (*path, index), loader, lines, problems, file, seen)


def _read(path: Path) -> tuple[Any, LineMap, _Problems]:
    """Parse `path`; malformed YAML raises, duplicate keys come back as problems."""
    file = str(path)
    text = decode_utf8(read_limited(path, MAX_YAML_MB_ENV), path)
    loader: _BoundedLoader | None = None
    try:
        loader = _BoundedLoader(text)  # reading starts here: a control character raises
        root = loader.get_single_node()
        lines = LineMap()
        problems = _Problems()
        if root is None:
            return None, lines, problems
        size = _expanded_size(root)
        if size > MAX_YAML_NODES:
            raise yaml.composer.ComposerError(
                None,
                None,
                f"{size:,} values once aliases are expanded (the limit is {MAX_YAML_NODES:,})",
                root.start_mark,
            )
        lines[()] = root.start_mark.line + 1
        _walk(root, (), loader, lines, problems, file, set())
        data = loader.construct_document(root)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{file}:{mark.line + 1}" if mark else f"{file}:1"
        column = f" (column {mark.column + 1})" if mark else ""
        problem = f"{where}: <yaml>: {exc.problem or exc.context or 'invalid YAML'}{column}"
        raise ConfigError(
            f"{file}: malformed YAML", problems=[problem], hint="fix the YAML at that spot"
        ) from None
    except yaml.reader.ReaderError as exc:  # a control character PyYAML refuses to read
        line = text.count("\n", 0, exc.position) + 1
        problem = (
            f"{file}:{line}: <yaml>: {exc.reason}: U+{exc.character:04X} "
            f"at character {exc.position}"
        )
        raise ConfigError(
            f"{file}: malformed YAML", problems=[problem], hint="remove that character"
        ) from None
    except yaml.YAMLError as exc:
        raise ConfigError(
            f"{file}: malformed YAML", problems=[f"{file}:1: <yaml>: {exc}"]
        ) from None
    finally:
        if loader is not None:
            loader.dispose()
    return data, lines, problems


def load_yaml(path: Path) -> tuple[Any, LineMap]:
    """Load YAML with SafeLoader semantics plus the line of every key path.

    Raises ConfigError for unreadable or malformed files and for duplicate mapping keys.
    """
    data, lines, problems = _read(path)
    if problems:
        raise _config_error(path, problems)
    return data, lines


def _config_error(path: Path, problems: list[tuple[int, str]]) -> ConfigError:
    """One error listing every problem, in file order."""
    count = len(problems)
    return ConfigError(
        f"{path}: {count} problem{'s' if count != 1 else ''}",
        problems=[text for _, text in sorted(problems, key=lambda item: item[0])],
        hint="fix every line listed above; nothing was run",
    )


def _unwrap(annotation: Any) -> Any:
    """The model class inside `X | None`, `list[X]`, `Annotated[X, ...]`, if any."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType, list, tuple, set, frozenset):
        for arg in typing.get_args(annotation):
            found = _unwrap(arg)
            if isinstance(found, type) and issubclass(found, BaseModel):
                return found
        return None
    return annotation


def _model_at(model: type[BaseModel], loc: Sequence[str | int]) -> type[BaseModel] | None:
    """The model class validating the mapping at `loc`, found by walking field annotations."""
    current: type[BaseModel] = model
    for part in loc:
        if isinstance(part, int):
            continue
        field = current.model_fields.get(part)
        if field is None:
            return None
        inner = _unwrap(field.annotation)
        if not (isinstance(inner, type) and issubclass(inner, BaseModel)):
            return None
        current = inner
    return current


def _message(model: type[BaseModel], error: Any, loc: Sequence[str | int]) -> str:
    """Pydantic's message, with the allowed keys spelled out for an unknown key."""
    if error["type"] == "extra_forbidden":
        owner = _model_at(model, loc[:-1])
        if owner is not None:
            allowed = ", ".join(sorted(owner.model_fields))
            return f"unknown key {loc[-1]!r} (allowed: {allowed})"
        return f"unknown key {loc[-1]!r}"
    if error["type"] == "missing":
        return f"required key {loc[-1]!r} is missing" if loc else "required value is missing"
    return str(error["msg"])


def _problems_from(
    exc: ValidationError, model: type[BaseModel], lines: LineMap, file: str
) -> list[tuple[int, str]]:
    """Every pydantic error as (line, `file:line: key.path: message`)."""
    problems = []
    for error in exc.errors():
        loc: list[str | int] = [part for part in error["loc"] if isinstance(part, str | int)]
        line = lines.nearest(loc) if error["type"] != "missing" else lines.nearest(loc[:-1])
        text = f"{file}:{line}: {format_path(loc)}: {_message(model, error, loc)}"
        problems.append((line, text))
    return problems


def load_model(path: Path, model: type[M], context: dict[str, Any] | None = None) -> M:
    """Load `path` and validate it as `model`, reporting every problem with its file and line.

    `context` reaches the validators (`info.context`) so they can check references to suites,
    metrics or rules defined elsewhere. Duplicate YAML keys and validation errors are reported
    together, sorted by line, in one ConfigError.
    """
    data, lines, problems = _read(path)
    try:
        instance = model.model_validate(data, context=context)
    except ValidationError as exc:
        problems.extend(_problems_from(exc, model, lines, str(path)))
        raise _config_error(path, problems) from None
    if problems:
        raise _config_error(path, problems)
    return instance
