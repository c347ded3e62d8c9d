"""The failure taxonomy shipped as YAML: failure types (how it went wrong) and root causes (why)."""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from safetyloop.config import load_model

__all__ = ["Taxonomy", "TaxonomyEntry", "load_taxonomy", "taxonomy_path"]


class TaxonomyEntry(BaseModel):
    """One class of the taxonomy."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str
    description: str


class Taxonomy(BaseModel):
    """Failure types and root causes; incidents and triage refer to them by id."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    failure_types: list[TaxonomyEntry] = Field(min_length=1)
    root_causes: list[TaxonomyEntry] = Field(min_length=1)

    def failure_type_ids(self) -> set[str]:
        return {e.id for e in self.failure_types}

    def root_cause_ids(self) -> set[str]:
        return {e.id for e in self.root_causes}


def taxonomy_path() -> Path:
    """The taxonomy shipped with safetyloop."""
    return Path(str(resources.files("safetyloop.incidents") / "data" / "taxonomy.yaml"))


@cache
def load_taxonomy(path: Path | None = None) -> Taxonomy:
    """Load (and cache) a taxonomy file; ConfigError with file:line on a bad one."""
    return load_model(path or taxonomy_path(), Taxonomy)
