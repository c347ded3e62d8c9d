"""The threat pathways as validated data: each pathway argued by claims, each claim bound to
evidence (a stored measurement with a requirement, or a person's control attestation).

A pathways file is user-editable YAML, validated like the constitution: every mistake is
reported at once as `file:line: key.path: message` (ConfigError, exit 2), before anything is read
from the store. The shipped default holds the nine pathways of Anthropic's pilot sabotage risk
report (`data/pathways.yaml`).
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from safetyloop.config import load_model
from safetyloop.risk._sources import source_names

__all__ = [
    "AttestationRef",
    "Claim",
    "EvidenceRef",
    "MeasurementRef",
    "Pathway",
    "PathwayFile",
    "Requirement",
    "Trigger",
    "default_pathways_path",
    "load_pathways",
]

#: The three kinds of claim a pathway is argued from (the pilot report's "cannot", "does not
#: try", "would be caught").
ClaimKind = Literal["capability", "alignment", "control"]
#: Debt severities (the governance policy's), for the debt a stale claim opens.
DebtSeverity = Literal["critical", "high", "medium", "low"]

_OPS: dict[str, Callable[[float, float], bool]] = {
    "<=": operator.le,
    "<": operator.lt,
    ">=": operator.ge,
    ">": operator.gt,
}
_REQUIREMENT = re.compile(r"^\s*(value|low|high)\s*(<=|>=|<|>)\s*([-+]?\d*\.?\d+)\s*$")
_ID = r"^[a-z0-9][a-z0-9_.-]*$"


def _known_source(name: str) -> str:
    known = source_names()
    if name not in known:
        raise ValueError(f"unknown evidence source {name!r} (known: {', '.join(known)})")
    return name


class Requirement(BaseModel):
    """`field op limit`, e.g. `high <= 0.05`: judged on the interval's bound, not the point."""

    model_config = ConfigDict(frozen=True)

    field: Literal["value", "low", "high"]
    op: str
    limit: float

    @classmethod
    def parse(cls, text: str) -> Requirement:
        found = _REQUIREMENT.match(text)
        if found is None:
            raise ValueError(
                f"requirement {text!r} must read `value|low|high <=|<|>=|> number`, "
                "e.g. `high <= 0.05`"
            )
        return cls(field=found[1], op=found[2], limit=float(found[3]))

    def holds(self, value: float, low: float, high: float) -> bool:
        chosen = {"value": value, "low": low, "high": high}[self.field]
        return _OPS[self.op](chosen, self.limit)

    def __str__(self) -> str:
        return f"{self.field} {self.op} {self.limit:g}"


class MeasurementRef(BaseModel):
    """A stored measurement: which source, which metric (a glob), which run, what must hold."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: str = Field(pattern=_ID)
    #: metric name; `*` and `?` match many (each matched figure must meet the requirement)
    metric: str = Field(min_length=1)
    #: a run id, or `latest`: the newest finished run of the source for the target version
    run: str = "latest"
    require: Requirement
    #: evidence older than this is stale (None: the file's `max_age_days`)
    max_age_days: int | None = Field(default=None, ge=1)

    _source = field_validator("source")(_known_source)

    @field_validator("require", mode="before")
    @classmethod
    def _parse(cls, value: object) -> object:
        return Requirement.parse(value) if isinstance(value, str) else value


class AttestationRef(BaseModel):
    """A control attested by a person: current once approved in review and until it expires."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    control: str = Field(pattern=_ID)


class EvidenceRef(BaseModel):
    """Exactly one of a measurement or an attestation."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    measurement: MeasurementRef | None = None
    attestation: AttestationRef | None = None

    @model_validator(mode="after")
    def _one(self) -> EvidenceRef:
        if (self.measurement is None) == (self.attestation is None):
            raise ValueError("give exactly one of 'measurement' and 'attestation'")
        return self


class Claim(BaseModel):
    """One step of a pathway's argument; supported only while all its evidence is current."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=_ID)
    kind: ClaimKind
    text: str = Field(min_length=1)
    evidence: list[EvidenceRef] = Field(min_length=1)


class Pathway(BaseModel):
    """A concrete way the model could cause harm, and the claims that argue it is blocked."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=_ID)
    name: str = Field(min_length=1)
    description: str = ""
    #: severity of the debt opened when a claim of this pathway goes stale or fails
    severity: DebtSeverity = "high"
    claims: list[Claim] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_claims(self) -> Pathway:
        ids = [c.id for c in self.claims]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"claim ids must be unique in a pathway: {', '.join(dupes)}")
        return self


class Trigger(BaseModel):
    """A capability jump that calls for a new argument: `metric` rose by `jump` or more since
    the last recorded risk report."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: str = Field(pattern=_ID)
    metric: str = Field(min_length=1)
    jump: float = Field(gt=0)
    severity: DebtSeverity = "high"

    _source = field_validator("source")(_known_source)


class PathwayFile(BaseModel):
    """A whole pathways file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    #: default freshness policy: evidence older than this many days is stale
    max_age_days: int = Field(default=90, ge=1)
    pathways: list[Pathway] = Field(min_length=1)
    triggers: list[Trigger] = []

    @field_validator("pathways")
    @classmethod
    def _unique(cls, pathways: list[Pathway]) -> list[Pathway]:
        ids = [p.id for p in pathways]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"pathway ids must be unique: {', '.join(dupes)}")
        return pathways

    def max_age(self, ref: MeasurementRef) -> int:
        return ref.max_age_days or self.max_age_days


def default_pathways_path() -> Path:
    return Path(__file__).parent / "data" / "pathways.yaml"


def load_pathways(path: Path | None = None) -> PathwayFile:
    """The pathways file at `path` (default: the shipped nine), validated; ConfigError (exit 2)
    names every problem's file, line and key."""
    return load_model((path or default_pathways_path()).resolve(), PathwayFile)
