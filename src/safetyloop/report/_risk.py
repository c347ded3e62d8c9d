"""`safetyloop report risk`: the argument for a target version, written, hashed and audited.

One call argues every pathway from the store (`safetyloop.risk.argue`), opens the debt that
stale evidence, expired attestations and capability jumps call for, renders each requested
file from the same context (HTML, Markdown, the JSON twin, the GSN graph as DOT), records the
SHA-256 of each in the audit log, and only then moves the files into place: a bad pathways
file or output name writes nothing.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from safetyloop import capability
from safetyloop.capability import ThresholdResult
from safetyloop.clock import Clock
from safetyloop.errors import InputError
from safetyloop.governance._session import new_id
from safetyloop.report._risk_graph import claim_graph, graph_dot
from safetyloop.report._risk_plot import plot_figures
from safetyloop.risk import PathwayFile, RiskArgument, Step, argue, load_pathways, roadmap
from safetyloop.risk.freshness import FreshnessDebt, figure_key, open_freshness_debt
from safetyloop.risk.records import (
    Critique,
    RecordedReport,
    list_critiques,
    list_reports,
    record_report,
)
from safetyloop.store import Store

__all__ = [
    "FORMATS",
    "RiskReportContext",
    "WrittenRiskReport",
    "risk_context",
    "risk_formats",
    "write_risk_report",
]

#: Output formats by file suffix.
FORMATS = {".html": "html", ".htm": "html", ".md": "markdown", ".json": "json", ".dot": "dot"}


@dataclass(frozen=True)
class RiskReportContext:
    """What every format renders: the argument and what governance holds about it."""

    report_id: str
    argument: RiskArgument
    #: debt items the argument's freshness problems opened now or hold open
    debt: list[FreshnessDebt]
    #: reviewers' critiques of earlier reports of this target version, with their answers
    critiques: list[Critique]
    previous: RecordedReport | None
    graph: dict[str, Any]
    #: the plot as a base64 PNG (None: nothing measured)
    plot_png: str | None
    #: the capability thresholds of the capability runs the argument read (rule-out, rule-in,
    #: elicited value, verdict, required safeguards), in the style of AI Safety Levels
    thresholds: list[ThresholdResult]
    #: every gap with the action that would close it, most severe pathway first
    roadmap: list[Step]

    def twin(self) -> dict[str, Any]:
        """The JSON twin: everything the HTML shows, as data."""
        return {
            "report_id": self.report_id,
            **self.argument.model_dump(mode="json"),
            "debt": [d.model_dump(mode="json") for d in self.debt],
            "critiques": [c.model_dump(mode="json") for c in self.critiques],
            "previous_report": self.previous.id if self.previous else None,
            "graph": self.graph,
            "capability_thresholds": [t.model_dump(mode="json") for t in self.thresholds],
            "roadmap": [s.model_dump(mode="json") for s in self.roadmap],
        }


@dataclass(frozen=True)
class WrittenRiskReport:
    context: RiskReportContext
    record: RecordedReport
    #: path → SHA-256 of what was written there
    files: dict[str, str]


def _env(autoescape: bool) -> Environment:
    return Environment(
        loader=PackageLoader("safetyloop.report", "templates"),
        undefined=StrictUndefined,
        autoescape=autoescape,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(context: RiskReportContext, fmt: str) -> str:
    """One format's text."""
    if fmt == "json":
        return json.dumps(context.twin(), indent=2, sort_keys=True) + "\n"
    if fmt == "dot":
        return graph_dot(context.graph)
    name, escape = ("risk.html.j2", True) if fmt == "html" else ("risk.md.j2", False)
    return _env(escape).get_template(name).render(c=context, a=context.argument)


def risk_formats(outputs: list[Path]) -> list[tuple[Path, str]]:
    """Each output with its format; InputError (exit 2) for an unknown suffix or folder."""
    if not outputs:
        raise InputError("name at least one output file (-o report.html, .md, .json or .dot)")
    out = []
    for path in outputs:
        fmt = FORMATS.get(path.suffix.lower())
        if fmt is None:
            raise InputError(
                f"{path}: unknown report format {path.suffix or '(none)'!r}",
                hint=f"use one of {', '.join(sorted(FORMATS))}",
            )
        if not path.parent.is_dir():
            raise InputError(f"{path}: folder {path.parent} does not exist")
        out.append((path, fmt))
    return out


def risk_context(
    store: Store,
    argument: RiskArgument,
    debt: list[FreshnessDebt],
    reports: list[RecordedReport],
) -> RiskReportContext:
    """What every format of the report on `argument` renders; `reports`: those recorded so far.

    Reads only: `write_risk_report` opens the freshness debt first, the console shows the
    argument as the store holds it now without opening any."""
    earlier = {r.id for r in reports if r.target_version == argument.target_version}
    runs = sorted({f.run_id for f in argument.figures if f.source == "capability"})
    thresholds = [t for run in runs for t in capability.summarise(store, run).thresholds]
    png = plot_figures(
        argument, {f"capability:{t.id}": (t.rule_out, t.rule_in) for t in thresholds}
    )
    return RiskReportContext(
        report_id=new_id("rr"),
        argument=argument,
        debt=debt,
        critiques=[c for c in list_critiques(store) if c.report_id in earlier],
        previous=reports[-1] if reports else None,
        graph=claim_graph(argument),
        plot_png=base64.b64encode(png).decode("ascii") if png else None,
        thresholds=thresholds,
        roadmap=roadmap(argument),
    )


def write_risk_report(
    store: Store,
    *,
    target_version: str,
    outputs: list[Path],
    actor: str,
    clock: Clock,
    spec: PathwayFile | None = None,
    owner: str | None = None,
) -> WrittenRiskReport:
    """Argue `spec` (default: the shipped pathways), open the debt freshness calls for,
    render, hash, audit, then write the files."""
    formats = risk_formats(outputs)
    spec = spec or load_pathways()
    now = clock.now()
    reports = list_reports(store)
    previous = reports[-1] if reports else None
    argument = argue(store, spec, target_version, now)
    debt = open_freshness_debt(
        store, argument, spec, previous=previous, owner=owner or actor, actor=actor, clock=clock
    )
    context = risk_context(store, argument, debt, reports)
    texts = {path: render(context, fmt) for path, fmt in formats}
    hashes = {str(p): hashlib.sha256(t.encode("utf-8")).hexdigest() for p, t in texts.items()}
    partials = {path: path.with_name(f".{path.name}.partial") for path in texts}
    try:
        for path, text in texts.items():
            partials[path].write_text(text, encoding="utf-8")
        record = record_report(
            store,
            report_id=context.report_id,
            target_version=target_version,
            status=argument.status,
            pathways={p.id: p.status for p in argument.pathways},
            figures={figure_key(f.source, f.metric): f.value for f in argument.figures},
            sha256=hashes,
            actor=actor,
            clock=clock,
        )
    except BaseException:
        for partial in partials.values():
            partial.unlink(missing_ok=True)
        raise
    for path, partial in partials.items():
        partial.replace(path)
    return WrittenRiskReport(context=context, record=record, files=hashes)
