"""The governance policy: routing rules, tiers, SLAs, escalation, approver roles, debt aging.

Shipped defaults live in `data/policy.yaml`; a team overrides them with a file of the same
shape (validated with file:line errors, exit 2).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from safetyloop.config import load_model

#: Environment variable naming a policy file that replaces the shipped defaults.
POLICY_ENV = "SAFETYLOOP_POLICY"
#: The routing rule ids the review queue knows.
ROUTING_RULES = (
    "block-override",
    "critical-warn",
    "insufficient-evidence",
    "new-failure-mode",
    "borderline",
    "judge-is-guard",
    "control-attestation",
    "capability-undecided",
)
#: Rules a policy file may leave out (files written before the rule existed), with their route.
OPTIONAL_ROUTES: dict[str, dict[str, float]] = {
    "control-attestation": {"tier": 2, "sla_hours": 72},
    "capability-undecided": {"tier": 3, "sla_hours": 48},
}
#: Debt severities, most severe first.
SEVERITIES = ("critical", "high", "medium", "low")


class Tier(BaseModel):
    """Either a number of distinct approvers, or committee roles that must all sign."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    approvers: int | None = Field(default=None, ge=1)
    committee: list[str] | None = Field(default=None, min_length=1)
    hold_release: bool | None = None
    """Whether an undecided item of this tier about a release holds it (BLOCK until people
    decide); unset: held at tiers 2 and up, not at tier 1 (see `Policy.holds_release`)."""

    @model_validator(mode="after")
    def _one_kind(self) -> Tier:
        if (self.approvers is None) == (self.committee is None):
            raise ValueError("give exactly one of 'approvers' and 'committee'")
        return self


class Route(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    tier: int = Field(ge=1)
    sla_hours: float = Field(gt=0)


class Aging(BaseModel):
    """Days after which open debt warns, escalates, and BLOCKs every release (None: never)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    warn: int | None = Field(default=None, ge=0)
    escalate: int | None = Field(default=None, ge=0)
    block: int | None = Field(default=None, ge=0)

    def steps(self) -> list[tuple[str, int]]:
        """The thresholds that are set, in order, as (level, days)."""
        levels = (("warn", self.warn), ("escalate", self.escalate), ("block", self.block))
        return [(level, days) for level, days in levels if days is not None]

    @model_validator(mode="after")
    def _ordered(self) -> Aging:
        days = [d for _, d in self.steps()]
        if days != sorted(days):
            raise ValueError("warn <= escalate <= block must hold")
        return self


class Policy(BaseModel):
    """The whole policy; validated as one so every mistake is reported at once."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    tiers: dict[int, Tier]
    routing: dict[str, Route]
    approver_roles: list[str] = Field(min_length=1)
    forbidden_roles: list[str]
    escalation_chain: list[str] = Field(min_length=1)
    debt_aging: dict[str, Aging]

    @model_validator(mode="before")
    @classmethod
    def _optional_routes(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("routing"), dict):
            return {**data, "routing": {**OPTIONAL_ROUTES, **data["routing"]}}
        return data

    @model_validator(mode="after")
    def _complete(self) -> Policy:
        missing = [r for r in ROUTING_RULES if r not in self.routing]
        unknown = [r for r in self.routing if r not in ROUTING_RULES]
        if missing or unknown:
            raise ValueError(
                f"routing must name exactly the rules {', '.join(ROUTING_RULES)}"
                f" (missing: {missing}, unknown: {unknown})"
            )
        for name, route in self.routing.items():
            if route.tier not in self.tiers:
                raise ValueError(f"routing rule {name} uses tier {route.tier}, not defined")
        if sorted(self.debt_aging) != sorted(SEVERITIES):
            raise ValueError(f"debt_aging must name exactly {', '.join(SEVERITIES)}")
        return self

    def tier(self, number: int) -> Tier:
        return self.tiers[number]

    def holds_release(self, number: int) -> bool:
        """Whether a review of tier `number` must be decided before its release can ship."""
        tier = self.tiers.get(number)
        if tier is not None and tier.hold_release is not None:
            return tier.hold_release
        return number >= 2


def default_policy_path() -> Path:
    return Path(__file__).parent / "data" / "policy.yaml"


def _load(path: Path) -> Policy:
    return load_model(path, Policy)


def load_policy(path: Path | None = None) -> Policy:
    """The policy at `path`, else at $SAFETYLOOP_POLICY, else the shipped defaults."""
    chosen = path or (Path(os.environ[POLICY_ENV]) if os.environ.get(POLICY_ENV) else None)
    return _load((chosen or default_policy_path()).resolve())
