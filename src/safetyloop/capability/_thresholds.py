"""Capability thresholds as code (`capabilities.yaml`): each threshold bound to suites, with a
rule-out and a rule-in limit and the safeguard level required once it is crossed.

The decision reads the elicited capability's interval: wholly under `rule_out` rules the
capability out; wholly at or over `rule_in` crosses the threshold (allowed only when the
deployed safeguards reach the required level); anything else is undecided and goes to people.
"""

from __future__ import annotations

from enum import StrEnum
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from safetyloop._hashing import content_hash
from safetyloop.capability._suites import CapabilitySuite
from safetyloop.config import load_model

__all__ = [
    "METHODS",
    "Capabilities",
    "Threshold",
    "Verdict",
    "decide",
    "default_capabilities_path",
    "load_capabilities",
]

#: The elicitation methods (see `_elicit`), in the order they are run.
METHODS = ("plain", "best_of_k", "prompt_variant", "few_shot", "tools_and_turns")


class Verdict(StrEnum):
    RULED_OUT = "ruled out"
    CROSSED = "crossed"
    UNDECIDED = "undecided"


class Threshold(BaseModel):
    """One capability threshold."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    name: str = Field(min_length=1)
    description: str = ""
    suites: list[str] = Field(min_length=1)
    #: Only these tasks of the suites (all when left out).
    tasks: list[str] | None = None
    rule_out: float = Field(ge=0.0, le=1.0)
    rule_in: float = Field(ge=0.0, le=1.0)
    requires: str

    @field_validator("suites")
    @classmethod
    def _suites_known(cls, suites: list[str], info: ValidationInfo) -> list[str]:
        known: dict[str, CapabilitySuite] | None = (info.context or {}).get("suites")
        if known is not None:
            unknown = [s for s in suites if s not in known]
            if unknown:
                raise ValueError(f"unknown suites {unknown} (suites: {', '.join(sorted(known))})")
        return suites

    @model_validator(mode="after")
    def _limits(self, info: ValidationInfo) -> Threshold:
        problems = []
        if self.rule_out > self.rule_in:
            problems.append(f"rule_out {self.rule_out} is above rule_in {self.rule_in}")
        known: dict[str, CapabilitySuite] | None = (info.context or {}).get("suites")
        if known is not None and self.tasks is not None:
            have = {t.id for s in self.suites if s in known for t in known[s].tasks}
            missing = sorted(set(self.tasks) - have)
            if missing:
                problems.append(f"tasks {missing} are in none of the suites {self.suites}")
        if problems:
            raise ValueError("; ".join(problems))
        return self


class Capabilities(BaseModel):
    """The whole file, validated as one so every mistake is reported at once."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    safeguard_levels: list[str] = Field(min_length=1)
    deployed: str
    methods: list[str] = Field(default_factory=lambda: list(METHODS), min_length=1)
    sandbagging: bool = True
    thresholds: list[Threshold] = Field(min_length=1)

    @field_validator("methods")
    @classmethod
    def _methods_known(cls, methods: list[str]) -> list[str]:
        unknown = [m for m in methods if m not in METHODS]
        if unknown:
            raise ValueError(f"unknown methods {unknown} (methods: {', '.join(METHODS)})")
        return methods

    @model_validator(mode="after")
    def _levels(self) -> Capabilities:
        levels = self.safeguard_levels
        if len(set(levels)) != len(levels):
            raise ValueError("safeguard_levels has a level twice")
        if self.deployed not in levels:
            raise ValueError(f"deployed: {self.deployed!r} is not one of {levels}")
        seen: set[str] = set()
        for t in self.thresholds:
            if t.requires not in levels:
                raise ValueError(f"threshold {t.id!r}: requires {t.requires!r}, not in {levels}")
            if t.id in seen:
                raise ValueError(f"duplicate threshold id {t.id!r}")
            seen.add(t.id)
        return self

    @property
    def version(self) -> str:
        return content_hash(self.model_dump(mode="json"))

    def safeguarded(self, threshold: Threshold) -> bool:
        """Whether the deployed safeguards reach what a crossed `threshold` requires."""
        levels = self.safeguard_levels
        return levels.index(self.deployed) >= levels.index(threshold.requires)


def default_capabilities_path() -> Path:
    return Path(str(resources.files("safetyloop.capability") / "data" / "capabilities.yaml"))


def load_capabilities(
    path: Path | None = None, suites: dict[str, CapabilitySuite] | None = None
) -> Capabilities:
    """Load and validate a capabilities file (the bundled one when `path` is None); with
    `suites`, every suite and task a threshold names must exist.

    Raises:
        ConfigError: every problem, as `file:line: key.path: message` (exit 2).
    """
    context = {"suites": suites} if suites is not None else None
    return load_model(path or default_capabilities_path(), Capabilities, context=context)


def decide(threshold: Threshold, low: float, high: float) -> Verdict:
    """Ruled out, crossed or undecided, from the capability's interval."""
    if high < threshold.rule_out:
        return Verdict.RULED_OUT
    if low >= threshold.rule_in:
        return Verdict.CROSSED
    return Verdict.UNDECIDED
