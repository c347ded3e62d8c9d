"""The argument: every claim of every pathway checked against the store, at one moment.

A piece of evidence is *current* when the figures it names exist, each meets the claim's
requirement on its interval, and none is older than the freshness policy allows; or, for an
attestation, when it is approved and unexpired. A claim is supported when all its evidence is
current. A pathway is `supported` when every claim is, `weak` when some are, `unsupported`
when none is; the conclusion is the weakest pathway's status — never stronger.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from fnmatch import fnmatchcase
from typing import Literal

from pydantic import BaseModel, ConfigDict

from safetyloop._hashing import content_hash
from safetyloop.errors import SafetyloopError
from safetyloop.evidence import Measurement
from safetyloop.risk._pathways import MeasurementRef, Pathway, PathwayFile
from safetyloop.risk._sources import SOURCES
from safetyloop.risk.attestations import Attestation, attestation_for, list_attestations
from safetyloop.store import Store

__all__ = ["ClaimResult", "EvidenceResult", "Figure", "PathwayResult", "RiskArgument", "argue"]

Status = Literal["supported", "weak", "unsupported"]
#: Why evidence is not current (several may hold at once).
Gap = Literal["missing", "failing", "stale", "unsigned", "rejected", "expired"]
ORDER: dict[str, int] = {"supported": 0, "weak": 1, "unsupported": 2}


class Figure(BaseModel):
    """One stored measurement as a claim reads it."""

    model_config = ConfigDict(frozen=True)

    source: str
    metric: str
    value: float
    low: float
    high: float
    n: int
    run_id: str
    measured_at: datetime
    method: str
    meets: bool
    age_days: float


class EvidenceResult(BaseModel):
    """One piece of a claim's evidence and whether it is current."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["measurement", "attestation"]
    label: str
    current: bool
    gaps: list[Gap] = []
    why: str = ""
    source: str | None = None
    metric: str | None = None
    requirement: str | None = None
    #: the requirement's limit (for plots)
    limit: float | None = None
    max_age_days: int | None = None
    run_id: str | None = None
    figures: list[Figure] = []
    control: str | None = None
    attestation: Attestation | None = None


class ClaimResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    kind: str
    text: str
    supported: bool
    evidence: list[EvidenceResult]


class PathwayResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    description: str
    severity: str
    status: Status
    claims: list[ClaimResult]

    @property
    def gaps(self) -> list[tuple[ClaimResult, EvidenceResult]]:
        return [(c, e) for c in self.claims for e in c.evidence if not e.current]


class RiskArgument(BaseModel):
    """The whole argument for one target version, as it stands at `at`."""

    model_config = ConfigDict(frozen=True)

    target_version: str
    pathways_name: str
    pathways_hash: str
    at: datetime
    status: Status
    conclusion: str
    pathways: list[PathwayResult]

    @property
    def figures(self) -> list[Figure]:
        seen: dict[tuple[str, str, str], Figure] = {}
        for p in self.pathways:
            for c in p.claims:
                for e in c.evidence:
                    for f in e.figures:
                        seen[(f.source, f.metric, f.run_id)] = f
        return list(seen.values())


class _Reader:
    """Reads each (source, run) once per argument; a source's failure is a gap, not a crash."""

    def __init__(self, store: Store, target_version: str) -> None:
        self.store, self.target_version = store, target_version
        self._runs: dict[tuple[str, str], tuple[str | None, list[Measurement], str]] = {}

    def read(self, source: str, run: str) -> tuple[str | None, list[Measurement], str]:
        key = (source, run)
        if key not in self._runs:
            self._runs[key] = self._load(source, run)
        return self._runs[key]

    def _load(self, source: str, run: str) -> tuple[str | None, list[Measurement], str]:
        try:
            src = SOURCES.get(source)
            run_id = run if run != "latest" else src.latest_run_id(self.store, self.target_version)
            if run_id is None:
                return None, [], f"no finished {source} run of {self.target_version}"
            found = src.measurements(self.store, run_id)
        except SafetyloopError as exc:
            return None, [], f"{source}: {exc.message}"
        except ImportError as exc:
            return None, [], f"the {source} stage is not available ({exc})"
        return run_id, found, "" if found else f"{source} run {run_id} recorded no measurements"


def _measurement(
    ref: MeasurementRef, max_age: int, reader: _Reader, now: datetime
) -> EvidenceResult:
    run_id, found, problem = reader.read(ref.source, ref.run)
    label = f"{ref.source} {ref.metric}: {ref.require} ({ref.run})"
    base = {
        "kind": "measurement",
        "label": label,
        "source": ref.source,
        "metric": ref.metric,
        "requirement": str(ref.require),
        "limit": ref.require.limit,
        "max_age_days": max_age,
        "run_id": run_id,
    }
    matched = [m for m in found if fnmatchcase(m.metric, ref.metric)]
    if not matched:
        why = problem or f"{ref.source} run {run_id} has no metric matching {ref.metric!r}"
        return EvidenceResult(**base, current=False, gaps=["missing"], why=why)
    figures = [
        Figure(
            source=m.source,
            metric=m.metric,
            value=m.value,
            low=m.low,
            high=m.high,
            n=m.n,
            run_id=m.run_id,
            measured_at=m.measured_at,
            method=m.method,
            meets=ref.require.holds(m.value, m.low, m.high),
            age_days=(now - m.measured_at) / timedelta(days=1),
        )
        for m in sorted(matched, key=lambda m: m.metric)
    ]
    gaps: list[Gap] = []
    whys = []
    failing = [f for f in figures if not f.meets]
    if failing:
        gaps.append("failing")
        whys.append(
            "; ".join(
                f"{f.metric} = {f.value:.3f} [{f.low:.3f}, {f.high:.3f}] fails {ref.require}"
                for f in failing
            )
        )
    stale = [f for f in figures if f.age_days > max_age]
    if stale:
        gaps.append("stale")
        oldest = max(f.age_days for f in stale)
        whys.append(f"measured {oldest:.0f} days ago; the policy allows {max_age}")
    return EvidenceResult(
        **base,
        current=not gaps,
        gaps=gaps,
        why="; ".join(whys),
        figures=figures,
    )


def _attested(
    control: str, pathway: str, attestations: list[Attestation], now: datetime
) -> EvidenceResult:
    found = attestation_for(attestations, control, pathway, now)
    label = f"control {control} (attested)"
    if found is None:
        return EvidenceResult(
            kind="attestation",
            label=label,
            current=False,
            gaps=["missing"],
            why=f"nobody attested control {control} for this pathway",
            control=control,
        )
    state = found.state(now)
    whys = {
        "unsigned": f"attestation {found.id} awaits review {found.review_id}",
        "rejected": f"attestation {found.id} was rejected in review {found.review_id}",
        "expired": f"attestation {found.id} expired at {found.expires_at:%Y-%m-%d %H:%M} UTC",
        "not yet checked": f"attestation {found.id} was last checked in the future",
    }
    gaps: list[Gap] = [] if state == "current" else [_gap(state)]
    return EvidenceResult(
        kind="attestation",
        label=label,
        current=state == "current",
        gaps=gaps,
        why=whys.get(state, ""),
        control=control,
        attestation=found,
    )


def _gap(state: str) -> Gap:
    return {"rejected": "rejected", "expired": "expired"}.get(state, "unsigned")  # type: ignore[return-value]


def _pathway(
    pathway: Pathway, spec: PathwayFile, reader: _Reader, atts: list[Attestation], now: datetime
) -> PathwayResult:
    claims = []
    for claim in pathway.claims:
        evidence = [
            _measurement(e.measurement, spec.max_age(e.measurement), reader, now)
            if e.measurement is not None
            else _attested(e.attestation.control, pathway.id, atts, now)  # type: ignore[union-attr]
            for e in claim.evidence
        ]
        claims.append(
            ClaimResult(
                id=claim.id,
                kind=claim.kind,
                text=claim.text,
                supported=all(e.current for e in evidence),
                evidence=evidence,
            )
        )
    held = sum(c.supported for c in claims)
    status: Status = "supported" if held == len(claims) else "unsupported" if held == 0 else "weak"
    return PathwayResult(
        id=pathway.id,
        name=pathway.name,
        description=pathway.description,
        severity=pathway.severity,
        status=status,
        claims=claims,
    )


def _conclusion(pathways: list[PathwayResult]) -> tuple[Status, str]:
    worst = max(pathways, key=lambda p: ORDER[p.status])
    gaps = sum(len(p.gaps) for p in pathways)
    if worst.status == "supported":
        return "supported", (
            f"Every one of the {len(pathways)} pathways is argued from current evidence."
        )
    counts = {s: sum(p.status == s for p in pathways) for s in ORDER}
    return worst.status, (
        f"The argument is {worst.status.upper()}: it can be no stronger than its weakest pathway "
        f"({worst.name}). {counts['supported']} supported, {counts['weak']} weak, "
        f"{counts['unsupported']} unsupported; {gaps} gap{'s' if gaps != 1 else ''} to close."
    )


def argue(store: Store, spec: PathwayFile, target_version: str, now: datetime) -> RiskArgument:
    """Check every claim of `spec` for `target_version` against the store at `now`."""
    reader = _Reader(store, target_version)
    atts = [a for a in list_attestations(store) if a.attested_at <= now]
    results = [_pathway(p, spec, reader, atts, now) for p in spec.pathways]
    status, conclusion = _conclusion(results)
    return RiskArgument(
        target_version=target_version,
        pathways_name=spec.name,
        pathways_hash=content_hash(spec.model_dump(mode="json")),
        at=now,
        status=status,
        conclusion=conclusion,
        pathways=results,
    )
