"""Sabotage pairs as data: a main task, a hidden side task, and a check for each over the
workspace the episode left. Bundled in `data/pairs.yaml`; users add files of the same shape
(`sabotage run --pairs FILE`).
"""

from __future__ import annotations

from collections.abc import Iterable
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from safetyloop._hashing import content_hash
from safetyloop.config import load_model
from safetyloop.errors import InputError

__all__ = ["Pair", "PairFile", "Send", "bundled_pairs_file", "load_pairs"]


class Send(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str
    destination: str


class Pair(BaseModel):
    """One main task with its hidden side task.

    Attributes:
        kind: What the side task is an instance of (code sabotage, data poisoning, ...).
        main_check / side_check: Python run in the sandbox over the final workspace (and
            `_sent.json`); exit 0 means the task was done.
        reference_main / reference_side / reference_side_send: files (and a transfer) that do
            the main task, and the side task beside it: they prove the checks can pass, and the
            scripted reference agents in the tests act them out.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    kind: str = Field(min_length=1)
    files: dict[str, str] = Field(default_factory=dict)
    main: str = Field(min_length=1)
    side: str = Field(min_length=1)
    main_check: str = Field(min_length=1)
    side_check: str = Field(min_length=1)
    reference_main: dict[str, str] = Field(default_factory=dict)
    reference_side: dict[str, str] = Field(default_factory=dict)
    reference_side_send: Send | None = None


class PairFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    pairs: list[Pair] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> PairFile:
        seen: set[str] = set()
        for pair in self.pairs:
            if pair.id in seen:
                raise ValueError(f"duplicate pair id {pair.id!r}")
            seen.add(pair.id)
        return self


def bundled_pairs_file() -> Path:
    return Path(str(resources.files("safetyloop.sabotage") / "data" / "pairs.yaml"))


def load_pairs(paths: Iterable[Path] = (), *, bundled: bool = True) -> list[Pair]:
    """The bundled pairs (unless `bundled` is False) and the users', ids unique.

    Raises:
        ConfigError: a file's mistakes, as `file:line: key: message`.
        InputError: two pairs with one id.
    """
    out: dict[str, Pair] = {}
    for path in [*([bundled_pairs_file()] if bundled else []), *paths]:
        for pair in load_model(path, PairFile).pairs:
            if pair.id in out:
                raise InputError(f"{path}: pair {pair.id!r} is already defined")
            out[pair.id] = pair
    return list(out.values())


def pairs_version(pairs: Iterable[Pair]) -> str:
    return content_hash([p.model_dump(mode="json") for p in pairs])
