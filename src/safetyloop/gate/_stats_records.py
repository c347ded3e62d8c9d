"""Records of the gate's statistics beyond a plain Wilson interval (issue 3).

They sit in their own module, importing nothing else of the gate, so that `_model` can hold them
in `CriterionResult` / `Decision` while `_adjust` and `_regression` (which need `_model`) compute
them.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class ScorerConfusion(BaseModel):
    """A scorer version's confusion matrix against its calibration labels (human or ai-read).

    Rows are the label given, columns the scorer's, both in `classes` order. The gate derives a
    metric's sensitivity and specificity from it (they depend on which labels count as events).
    """

    model_config = ConfigDict(frozen=True)

    calibration_id: int | None = None
    classes: list[str]
    confusion: list[list[int]]
    #: The same matrix split by source (model): how far the scorer's error moves between models
    #: widens the correction. Empty when the record has no breakdown.
    by_source: dict[str, list[list[int]]] = Field(default_factory=dict)
    #: "calibrated on N human labels: sources", as the outputs print it.
    summary: str = ""
    #: The same record split by the kind of prompt answered (`refuse` | `comply`): a scorer
    #: errs differently on answers to harmful and to benign prompts, and a metric counts only
    #: one kind. Empty when the record does not say.
    populations: dict[str, ScorerConfusion] = Field(default_factory=dict)

    def for_prompts(self, expected: str) -> ScorerConfusion:
        """The record on answers to `expected` prompts; the whole record when not split."""
        return self.populations.get(expected, self)


class RateAdjustment(BaseModel):
    """Why a criterion's interval is not the plain Wilson interval on its counts.

    Attributes:
        kind: ``"cluster-bootstrap"`` (cases share a `metadata.cluster`) or ``"rogan-gladen"``
            (rate corrected for the scorer's measured error).
        note: the sentence the outputs print.
        observed_rate: the raw events / n before this adjustment.
        design_effect: cluster bootstrap variance over binomial variance (cluster-bootstrap).
        n_clusters: clusters resampled (cluster-bootstrap).
        calibration_id: the stored calibration record used (rogan-gladen; None: shipped).
        calibration: whose labels the record rests on, as printed (rogan-gladen).
        models: sources whose spread widened the correction (rogan-gladen).
        sensitivity: (flagged, total) among calibration responses people labelled violating.
        specificity: (passed, total) among calibration responses people labelled safe.
    """

    model_config = ConfigDict(frozen=True)

    kind: Literal["cluster-bootstrap", "rogan-gladen"]
    note: str
    observed_rate: float
    design_effect: float | None = None
    n_clusters: int | None = None
    calibration_id: int | None = None
    calibration: str = ""
    models: int | None = None
    sensitivity: tuple[int, int] | None = None
    specificity: tuple[int, int] | None = None


Verdict = Literal["regression", "non-inferior", "inconclusive"]


class ComparisonTest(BaseModel):
    """One candidate-versus-baseline test: a criterion as a whole, or one of its categories.

    Rates are violation rates (for a `min` criterion, the complement of the metric), so a positive
    difference is always worse.

    Attributes:
        principle: principle id.
        metric: the criterion's metric.
        category: None for the criterion as a whole, else the category tested.
        paired: Tango's paired interval + exact McNemar on the cases both runs scored; otherwise
            Newcombe's unpaired interval on all scored cases of each run.
        shared_cases: cases both runs scored.
        baseline_events, baseline_n, candidate_events, candidate_n: the counts compared.
        discordant: (b, c) for paired tests: only the candidate violates / only the baseline does.
        difference, low, high: candidate − baseline with its (1 − 2·alpha) interval.
        margin: the criterion's `regression_margin`.
        p_regression: one-sided p-value of "no regression beyond the margin".
        p_adjusted: Holm-adjusted across the whole family (every criterion and category).
        mcnemar_p: exact one-sided McNemar p-value that the candidate violates more (paired only).
        verdict: `regression` (Holm-significant beyond the margin), `non-inferior` (upper bound
            under the margin) or `inconclusive`.
        needed_per_arm: cases per arm that would settle an inconclusive test at the observed
            rates (None when settled, or when no sample size can).
        note: anything a reader must know (scorer changed, too few cases).
    """

    model_config = ConfigDict(frozen=True)

    principle: str
    metric: str
    category: str | None = None
    paired: bool
    shared_cases: int
    baseline_events: int
    baseline_n: int
    candidate_events: int
    candidate_n: int
    discordant: tuple[int, int] | None = None
    difference: float
    low: float
    high: float
    margin: float
    p_regression: float
    p_adjusted: float = 1.0
    mcnemar_p: float | None = None
    verdict: Verdict = "inconclusive"
    needed_per_arm: int | None = None
    note: str = ""

    @property
    def baseline_rate(self) -> float:
        return self.baseline_events / self.baseline_n if self.baseline_n else 0.0

    @property
    def candidate_rate(self) -> float:
        return self.candidate_events / self.candidate_n if self.candidate_n else 0.0


class RegressionReport(BaseModel):
    """A candidate run compared with a baseline run, Holm-adjusted across the family.

    Attributes:
        baseline_run: the baseline run id.
        candidate_run: the candidate run id.
        alpha: one-sided level of each decision: (1 − confidence) / 2, the same level as the
            gate's two-sided intervals.
        power: the power `needed_per_arm` is computed for.
        tests: every test, criteria first, then their categories.
        notes: caveats that concern the whole comparison.
    """

    model_config = ConfigDict(frozen=True)

    baseline_run: str
    candidate_run: str
    alpha: float
    power: float
    tests: list[ComparisonTest] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)

    @property
    def family_size(self) -> int:
        return len(self.tests)
