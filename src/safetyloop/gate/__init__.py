"""The release gate: PASS / WARN / BLOCK with every reason and rule id."""

from safetyloop.gate._criteria import smallest_passing_n
from safetyloop.gate._evaluate import evaluate
from safetyloop.gate._model import (
    CategoryRate,
    CriterionResult,
    Decision,
    Finding,
    PrincipleResult,
    RuleEvidence,
    RunEvidence,
    ScorerCalibration,
    Status,
)
from safetyloop.gate._outputs import OUTPUT_FORMATS, output_format, output_formats, render
from safetyloop.gate._regression import REGRESSION, compare_evidence
from safetyloop.gate._rules import (
    EVERY_PRINCIPLE_RULES,
    RULES,
    RuleContext,
    fail_status,
    gate_rule,
    not_measured,
    rule_names,
)
from safetyloop.gate._stats_records import (
    ComparisonTest,
    RateAdjustment,
    RegressionReport,
    ScorerConfusion,
)

__all__ = [
    "EVERY_PRINCIPLE_RULES",
    "OUTPUT_FORMATS",
    "REGRESSION",
    "RULES",
    "CategoryRate",
    "ComparisonTest",
    "CriterionResult",
    "Decision",
    "Finding",
    "PrincipleResult",
    "RateAdjustment",
    "RegressionReport",
    "RuleContext",
    "RuleEvidence",
    "RunEvidence",
    "ScorerCalibration",
    "ScorerConfusion",
    "Status",
    "compare_evidence",
    "evaluate",
    "fail_status",
    "gate_rule",
    "not_measured",
    "output_format",
    "output_formats",
    "render",
    "rule_names",
    "smallest_passing_n",
]
