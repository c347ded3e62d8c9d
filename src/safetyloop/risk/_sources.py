"""Evidence sources: where a claim's measurement comes from, by name.

A source answers two questions: which run is the newest finished one of a target version
(`latest`), and what that run measured (`Measurement`s with intervals). The built-ins (gate,
agentic, red team, capability, sabotage) register in `_adapters`; a plugin adds a source
through the `safetyloop.evidence_sources` entry-point group, publishing a `Source`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from safetyloop._registry import Registry, instances_of
from safetyloop.evidence import Measurement
from safetyloop.store import Store

__all__ = ["SOURCES", "Source", "source_names"]


@dataclass(frozen=True)
class Source:
    """How to read one kind of evidence from the store."""

    name: str
    #: every figure a run measured
    measurements: Callable[[Store, str], list[Measurement]]
    #: the newest finished run of a target version, or None
    latest_run_id: Callable[[Store, str], str | None]


SOURCES: Registry[Source] = Registry(
    "evidence source",
    "safetyloop.evidence_sources",
    builtins=("safetyloop.risk._adapters",),
    accept=instances_of(Source, "a safetyloop.risk.Source"),
)


def source_names() -> list[str]:
    return SOURCES.names()
