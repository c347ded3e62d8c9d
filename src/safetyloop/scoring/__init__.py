"""Scorers: turn a transcript into a labelled verdict with a confidence."""

from safetyloop.scoring._calibrate import PROVENANCES, Provenance
from safetyloop.scoring._metrics import METRICS, Metric, counting, metric_names
from safetyloop.scoring._normalise import normalise
from safetyloop.scoring._scorer import (
    ERROR,
    SCORERS,
    Score,
    ScoreInput,
    Scorer,
    ScorerError,
    create_scorer,
    scorer,
    scorer_names,
)

__all__ = [
    "ERROR",
    "METRICS",
    "PROVENANCES",
    "SCORERS",
    "Metric",
    "Provenance",
    "Score",
    "ScoreInput",
    "Scorer",
    "ScorerError",
    "counting",
    "create_scorer",
    "metric_names",
    "normalise",
    "scorer",
    "scorer_names",
]
