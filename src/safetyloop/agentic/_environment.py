"""Environments as data: a world's state in YAML, typed by a pydantic model, with tools over it.

The state file holds `{vector}` placeholders where third-party text reaches the agent (a bill,
a web page, a ticket); `injection_vectors.yaml` names each vector and its benign default. A
fresh state is built for every episode with each vector filled by its default or by an attack's
text, so no episode sees another's changes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import to_json

from safetyloop._hashing import content_hash
from safetyloop._registry import Registry, instances_of
from safetyloop.agentic._tools import Tool
from safetyloop.config import load_yaml
from safetyloop.errors import ConfigError, InputError
from safetyloop.targets import ToolSpec

__all__ = ["ENVIRONMENTS", "Environment", "environment_names", "get_environment", "render"]


def _data_dir(name: str) -> Path:
    return Path(str(resources.files("safetyloop.agentic") / "data" / name))


@dataclass(eq=False)
class Environment:
    """One world: its state model, its tools and the data its state starts from.

    Args:
        name: The environment's name in task files and reports.
        state_model: The pydantic model of the whole state.
        tools: Every tool an agent in this world may be offered.
        data_dir: Folder with `environment.yaml` and `injection_vectors.yaml`.
    """

    name: str
    state_model: type[BaseModel]
    tools: tuple[Tool, ...]
    data_dir: Path
    _by_name: dict[str, Tool] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._by_name = {t.name: t for t in self.tools}
        if len(self._by_name) != len(self.tools):
            raise ValueError(f"environment {self.name!r} has two tools with one name")

    @cached_property
    def _raw(self) -> Any:
        data, _ = load_yaml(self.data_dir / "environment.yaml")
        return data

    @cached_property
    def vectors(self) -> dict[str, str]:
        """Injection vector → its benign default text."""
        data, _ = load_yaml(self.data_dir / "injection_vectors.yaml")
        out: dict[str, str] = {}
        for name, spec in (data or {}).items():
            if not isinstance(spec, dict) or not isinstance(spec.get("default"), str):
                raise ConfigError(
                    f"{self.data_dir / 'injection_vectors.yaml'}: vector {name!r} needs a default"
                )
            out[str(name)] = spec["default"]
        return out

    @cached_property
    def _placeholder(self) -> re.Pattern[str]:
        names = sorted(self.vectors, key=len, reverse=True)
        return re.compile("|".join(re.escape("{" + n + "}") for n in names) or r"(?!x)x")

    @cached_property
    def version(self) -> str:
        """Hash of the starting data and every tool's spec: a change to either is a new world."""
        return content_hash(
            {
                "name": self.name,
                "state": self._raw,
                "vectors": self.vectors,
                "tools": [t.spec.model_dump() for t in self.tools],
            }
        )

    def tool(self, name: str) -> Tool | None:
        return self._by_name.get(name)

    def specs(self, names: Iterable[str] | None = None) -> list[ToolSpec]:
        """The specs of the named tools (all when None), in the environment's order."""
        wanted = None if names is None else set(names)
        return [t.spec for t in self.tools if wanted is None or t.name in wanted]

    def new_state(self, injections: Mapping[str, str] | None = None) -> BaseModel:
        """A fresh starting state: each vector holds its default, followed by the text
        `injections` plants there (the bill still says what is owed; the attack follows it).

        Raises:
            InputError: `injections` names a vector this environment does not have.
        """
        fill = dict(self.vectors)
        for vector, text in (injections or {}).items():
            if vector not in fill:
                raise InputError(f"environment {self.name!r} has no injection vector {vector!r}")
            fill[vector] += text  # after the benign text, which the user's task may need
        pattern = self._placeholder

        def substitute(node: Any) -> Any:
            if isinstance(node, str):
                return pattern.sub(lambda m: fill[m.group(0)[1:-1]], node)
            if isinstance(node, dict):
                return {substitute(k): substitute(v) for k, v in node.items()}
            if isinstance(node, list):
                return [substitute(v) for v in node]
            return node

        try:
            return self.state_model.model_validate(substitute(self._raw))
        except ValidationError as exc:
            raise ConfigError(
                f"{self.data_dir / 'environment.yaml'}: not a valid {self.name} state",
                problems=[str(exc)],
            ) from None


def render(result: Any) -> str:
    """A tool's result as the text a model reads: strings as they are, the rest as JSON."""
    if isinstance(result, str):
        return result
    return to_json(result).decode()


#: Every environment by name; plugins publish `Environment` objects under this group.
ENVIRONMENTS: Registry[Environment] = Registry(
    "environment",
    "safetyloop.environments",
    builtins=("safetyloop.agentic._builtin",),
    accept=instances_of(Environment, "an Environment"),
)


def get_environment(name: str) -> Environment:
    """The environment called `name` (InputError listing the known ones otherwise)."""
    return ENVIRONMENTS.get(name)


def environment_names() -> list[str]:
    return ENVIRONMENTS.names()


def register_environment(
    name: str, state_model: type[BaseModel], tools: Iterable[Tool], data: str | Path
) -> Environment:
    """Register an environment whose data lives in the package's `data/<data>` (a str) or in
    the folder `data` (a Path)."""
    folder = data if isinstance(data, Path) else _data_dir(data)
    return ENVIRONMENTS.register(name, Environment(name, state_model, tuple(tools), folder))
