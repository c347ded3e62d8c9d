"""The truth check: do the gate's decisions on scorer verdicts equal its decisions on people's
labels, for the same recorded answers? (`safetyloop selfcheck truth`)

    from safetyloop.truth import truth_check
    report = truth_check()              # the shipped XSTest completions, one release per model
    report.ok                           # every decision equal to the people's
    truth_check([Path("labelled.jsonl")], constitution=Path("constitution.yaml"))
"""

from safetyloop.truth._check import (
    CriterionTruth,
    ModelTruth,
    Side,
    TruthReport,
    restrict,
    shipped_labels,
    truth_check,
)
from safetyloop.truth._labels import LABELS, LabelledAnswer, read_labels

__all__ = [
    "LABELS",
    "CriterionTruth",
    "LabelledAnswer",
    "ModelTruth",
    "Side",
    "TruthReport",
    "read_labels",
    "restrict",
    "shipped_labels",
    "truth_check",
]
