"""The risk report's argument: threat pathways argued from evidence in the store.

`load_pathways` reads the pathways file (default: the nine pathways of Anthropic's pilot
sabotage risk report); `argue` checks every claim against the store for a target version —
stored measurements from the evidence `SOURCES` (gate, agentic, red team, capability, sabotage)
and control attestations (`attestations`) signed through the review queue; `freshness` turns
stale evidence, expired attestations and capability jumps into alignment debt; `records` keeps
the reports' hashes and reviewers' critiques on the audit log. Rendering is `safetyloop.report`'s.
"""

from safetyloop.risk._argument import (
    ClaimResult,
    EvidenceResult,
    Figure,
    PathwayResult,
    RiskArgument,
    argue,
)
from safetyloop.risk._pathways import (
    Claim,
    Pathway,
    PathwayFile,
    Requirement,
    default_pathways_path,
    load_pathways,
)
from safetyloop.risk._roadmap import Step, roadmap
from safetyloop.risk._sources import SOURCES, Source, source_names

__all__ = [
    "SOURCES",
    "Claim",
    "ClaimResult",
    "EvidenceResult",
    "Figure",
    "Pathway",
    "PathwayFile",
    "PathwayResult",
    "Requirement",
    "RiskArgument",
    "Source",
    "Step",
    "argue",
    "default_pathways_path",
    "load_pathways",
    "roadmap",
    "source_names",
]
