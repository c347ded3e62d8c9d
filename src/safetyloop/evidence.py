"""A measurement as evidence: the one shape every evidence producer hands to the risk report.

Capability and sabotage evaluations, agentic runs, red-team grids and gate decisions each keep
their own records; a claim in the risk report only needs "what was measured, how well, where
and when". Defined here, below every stage, so producers need not import the report and the
report need not know their tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Measurement:
    """One figure with its interval, traceable to the run that produced it."""

    #: what was measured, e.g. "attack_success", "capability:cyber", "monitor_auc"
    metric: str
    value: float
    low: float
    high: float
    #: how many units (cases, episodes, pairs) the figure rests on
    n: int
    #: the kind of record it comes from: "gate", "agentic", "redteam", "capability", "sabotage", …
    source: str
    run_id: str
    measured_at: datetime
    #: how it was obtained: the interval method, the elicitation method, … ("" when plain)
    method: str = ""
