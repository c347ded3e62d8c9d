"""The gate's records: what it was given and what it decided, rule by rule."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, SerializeAsAny

from safetyloop.engine import CaseResult
from safetyloop.gate._stats_records import RateAdjustment, RegressionReport, ScorerConfusion
from safetyloop.safeguards import SafeguardCheck
from safetyloop.scoring import Score
from safetyloop.store import VerdictGroup
from safetyloop.suites import Case


class Status(StrEnum):
    """A finding's, a principle's or the decision's status (see docs/gate.md).

    NOT MEASURED is a principle's status only: nothing gave evidence for it. Whether it holds
    the release is said by its `not-measured` finding (BLOCK for a critical or high principle
    not waived, else WARN), and the decision is the worst finding (`decision_status`).
    """

    PASS = "PASS"
    WARN = "WARN"
    NOT_MEASURED = "NOT MEASURED"
    BLOCK = "BLOCK"

    @property
    def rank(self) -> int:
        return {"PASS": 0, "WARN": 1, "NOT MEASURED": 2, "BLOCK": 3}[self.value]


def worst(statuses: list[Status]) -> Status:
    return max(statuses, key=lambda s: s.rank, default=Status.PASS)


class ScorerCalibration(BaseModel):
    """The measured agreement behind a scorer version's numbers, and whose labels it rests on.

    Attributes:
        id: the stored record's id; None for the record shipped with the scorer.
        origin: `shipped` or `store #ID`.
        summary: "calibrated on N human labels: sources" (`ai-read` labels said as such), the
            wording every output prints.
    """

    model_config = ConfigDict(frozen=True)

    id: int | None = None
    n: int
    accuracy: float
    kappa: float
    origin: str = ""
    summary: str = ""


class RuleEvidence(BaseModel):
    """Evidence beside the run that a plugin rule reads (a red-team run for the `redteam` rule).

    The gate does not know its fields, so it does not import the stage that makes it; it only
    records `lineage()` in the decision.
    """

    model_config = ConfigDict(frozen=True)

    def lineage(self) -> dict[str, Any]:
        """What the decision's lineage records of this evidence."""
        return {}


class RunEvidence(BaseModel):
    """Everything the gate reads about a run: lineage, cases, results and verdicts."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    run_id: str
    run_status: str
    target_name: str
    target_version: str
    constitution_hash: str
    suite_versions: dict[str, str]
    scorer_versions: dict[str, str]
    cases: list[Case]
    results: dict[str, CaseResult]
    scores: dict[str, dict[str, Score]]  # scorer name -> case key -> score
    calibrations: dict[str, ScorerCalibration] = Field(default_factory=dict)  # by scorer name
    #: Confusion matrices of the run's calibrated scorer versions, by scorer name: the gate
    #: corrects their rates for measured error (Rogan–Gladen).
    confusions: dict[str, ScorerConfusion] = Field(default_factory=dict)
    #: A red-team run given with the gate (`--redteam`), read by the `redteam` rule.
    redteam: SerializeAsAny[RuleEvidence] | None = None
    #: The stored agentic run of the target (`--agentic`, or the newest finished one of the
    #: run's target version), read by the `agentic` rule.
    agentic: SerializeAsAny[RuleEvidence] | None = None
    #: The checks of the run's guarded target, from its lineage: `judge-is-guard` compares
    #: their scorers with the criteria's.
    safeguards: list[SafeguardCheck] = Field(default_factory=list)
    #: The run's verdicts counted by the store, by scorer name (`Store.verdict_groups`): when
    #: given, criteria are measured on these counts, and `cases`, `results` and `scores` need
    #: hold only the cases rules read one by one (the suites of rule-enforced principles).
    tallies: dict[str, list[VerdictGroup]] | None = None
    #: How many of the run's verdicts reviewers overrode: `scores` and `tallies` already hold
    #: their labels instead of the scorer's (`safetyloop review override`).
    overridden: int = 0


#: The rule id of "nothing gave evidence for this principle".
NOT_MEASURED_RULE = "not-measured"


class Finding(BaseModel):
    """One reason, with the rule that produced it."""

    model_config = ConfigDict(frozen=True)

    rule: str
    principle: str
    status: Status
    message: str


class CategoryRate(BaseModel):
    model_config = ConfigDict(frozen=True)

    category: str
    n: int
    events: int
    errors: int
    rate: float
    low: float
    high: float


class CriterionResult(BaseModel):
    """A metric measured on the run, with its interval and the verdict of the rules."""

    model_config = ConfigDict(frozen=True)

    metric: str
    suites: list[str]
    scorer: str
    scorer_version: str
    comparison: str
    #: PASS needs the interval wholly on the safe side of `warn_at`.
    warn_at: float = Field(validation_alias=AliasChoices("warn_at", "threshold"))
    #: The point estimate at or past `block_at` BLOCKs; None: this criterion never blocks.
    block_at: float | None = None
    min_samples: int
    total: int
    errors: int
    error_rate: float
    max_error_rate: float
    n: int
    events: int
    rate: float
    low: float
    high: float
    confidence: float
    interval_method: str
    status: Status
    categories: list[CategoryRate] = Field(default_factory=list)
    #: The calibration of `scorer_version` the number rests on; None when never calibrated.
    calibration: ScorerCalibration | None = None
    #: Scored cases that would settle an insufficient-evidence verdict at the observed rate
    #: with 80% power (None when settled, or when nothing can settle it).
    additional_cases_needed: int | None = None
    #: Why the interval is not plain Wilson: cluster bootstrap, Rogan–Gladen correction.
    adjustments: list[RateAdjustment] = Field(default_factory=list)

    @property
    def threshold(self) -> float:
        """`warn_at`, under the name older callers use."""
        return self.warn_at

    @property
    def limits(self) -> str:
        """`< 0.1, BLOCK ≥ 0.25`: where the criterion stops passing, and where it blocks."""
        bound, past = ("<", "≥") if self.comparison == "max" else (">", "≤")
        block = f"BLOCK {past} {self.block_at:g}" if self.block_at is not None else "never blocks"
        return f"{bound} {self.warn_at:g}, {block}"


class PrincipleResult(BaseModel):
    """One principle's status, with the criteria measured and every finding behind it."""

    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    severity: str
    enforcement: str
    status: Status
    criteria: list[CriterionResult]
    findings: list[Finding]


def principle_status(findings: list[Finding]) -> Status:
    """NOT MEASURED when a finding says nothing measured the principle, else the worst one."""
    if any(f.rule == NOT_MEASURED_RULE for f in findings):
        return Status.NOT_MEASURED
    return worst([f.status for f in findings])


def decision_status(principles: list[PrincipleResult]) -> Status:
    """The release decision: the worst finding of any principle (never NOT MEASURED: an
    unmeasured principle counts as its `not-measured` finding, BLOCK or WARN)."""
    return worst([f.status for p in principles for f in p.findings])


class Decision(BaseModel):
    """The gate's decision on one run, traceable to every version that produced it."""

    model_config = ConfigDict(frozen=True)

    run_id: str
    decision: Status
    decided_at: datetime
    confidence: float
    target: str
    lineage: dict[str, Any]
    principles: list[PrincipleResult]
    #: The comparison with the baseline run, when the gate had one.
    regression: RegressionReport | None = None
    #: Verdicts reviewers overrode: their labels were counted instead of the scorer's.
    overridden: int = 0

    @property
    def findings(self) -> list[Finding]:
        return [f for p in self.principles for f in p.findings]

    def exit_code(self, fail_on: Status = Status.BLOCK) -> int:
        """0 pass, 1 when the decision is at or over `fail_on` (BLOCK by default)."""
        return 1 if self.decision.rank >= fail_on.rank else 0
