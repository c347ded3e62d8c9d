"""The release gate: PASS / WARN / BLOCK with every reason and rule id."""

from safetyloop.gate._evaluate import evaluate
from safetyloop.gate._model import (
    CategoryRate,
    CriterionResult,
    Decision,
    Finding,
    PrincipleResult,
    RunEvidence,
    Status,
)
from safetyloop.gate._outputs import output_formats, render
from safetyloop.gate._rules import gate_rule, rule_names

__all__ = [
    "CategoryRate",
    "CriterionResult",
    "Decision",
    "Finding",
    "PrincipleResult",
    "RunEvidence",
    "Status",
    "evaluate",
    "gate_rule",
    "output_formats",
    "render",
    "rule_names",
]
