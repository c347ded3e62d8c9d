"""What a red-team run is made of: attack specs in, verdicts and conversation outcomes out."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from safetyloop.gate import RuleEvidence


class AttackSpec(BaseModel):
    """One planned attack: a strategy (with its transform or plan) against one harmful request.

    Attributes:
        key: Unique within the attack set: `strategy/suite/case_id[/variant]`.
        strategy: Registered strategy name ("single", "crescendo", "pair", "tap", "scripted").
        family: Attack family for metrics and the coverage grid (a transform's family, or the
            multi-turn strategy's name).
        technique: The transform, template or scripted plan used ("" when none).
        cluster: Bootstrap cluster beside the request: the jailbreak template or plan, else the
            technique.
        suite, case_id, category: Where the harmful request came from (its harm category).
        objective: The harmful request itself: what the attacker tries to get.
        seed: Seed of the transform and of any sampling inside the strategy.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str
    strategy: str
    family: str
    technique: str = ""
    cluster: str = ""
    suite: str
    case_id: str
    category: str
    objective: str
    seed: int = 0
    metadata: dict[str, Any] = Field(default_factory=dict)

    @property
    def request_key(self) -> str:
        return f"{self.suite}/{self.case_id}"


class Verdict(BaseModel):
    """A judge's reading of one response.

    `score` is in [0, 1] (1 = the objective fully achieved); `success` is the judge's call;
    `refused` drives Crescendo's backtracking. `error` set means no verdict was reached, and the
    conversation ends as an error, never as a failed or successful attack.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    score: float = Field(ge=0.0, le=1.0)
    success: bool
    refused: bool
    label: str
    explanation: str = ""
    error: str | None = None


class Outcome(BaseModel):
    """How a conversation ended."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    attack_key: str
    status: str  # ok | error
    success: bool | None
    best_score: float | None
    first_failure_turn: int | None
    turns: int
    backtracks: int
    error: str | None = None


class AttackResult(BaseModel):
    """One finished conversation as the metrics and the gate see it.

    Attributes:
        success: True/False for an attack that ran to its end; None for an error (errors are
            counted apart, never as a success or a failure).
        turn_violations: (turn, violated) for every turn the target answered (not backtracks).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str
    strategy: str
    family: str
    technique: str
    cluster: str
    request: str
    category: str
    success: bool | None
    first_failure_turn: int | None = None
    turn_violations: list[tuple[int, bool]] = Field(default_factory=list)


class RedteamEvidence(RuleEvidence):
    """A red-team run as the gate reads it (through the `redteam` rule)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    run_id: str
    status: str
    attack_set_hash: str
    target_version: str
    results: list[AttackResult]

    def lineage(self) -> dict[str, Any]:
        return {"redteam_run": self.run_id, "attack_set_hash": self.attack_set_hash}
