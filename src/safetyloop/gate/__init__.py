"""The release gate: PASS / WARN / BLOCK with every reason and rule id."""

# Built-in rules that live in their own modules register on import.
from safetyloop.gate import (
    _every_case,  # noqa: F401  (every_case_passes: C5, incidents)
    _independence,  # noqa: F401  (judge-is-guard: every principle)
)
from safetyloop.gate._criteria import smallest_passing_n
from safetyloop.gate._evaluate import evaluate
from safetyloop.gate._model import (
    CategoryRate,
    CriterionResult,
    Decision,
    Finding,
    PrincipleResult,
    RunEvidence,
    ScorerCalibration,
    Status,
)
from safetyloop.gate._outputs import output_formats, render
from safetyloop.gate._regression import REGRESSION, compare_evidence
from safetyloop.gate._rules import gate_rule, rule_names
from safetyloop.gate._stats_records import (
    ComparisonTest,
    RateAdjustment,
    RegressionReport,
    ScorerConfusion,
)
from safetyloop.redteam import gate_rule as _redteam_rule  # noqa: F401  (redteam: issue 5)

__all__ = [
    "REGRESSION",
    "CategoryRate",
    "ComparisonTest",
    "CriterionResult",
    "Decision",
    "Finding",
    "PrincipleResult",
    "RateAdjustment",
    "RegressionReport",
    "RunEvidence",
    "ScorerCalibration",
    "ScorerConfusion",
    "Status",
    "compare_evidence",
    "evaluate",
    "gate_rule",
    "output_formats",
    "render",
    "rule_names",
    "smallest_passing_n",
]
