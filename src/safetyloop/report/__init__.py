"""Reports: plots and documents built from stored evidence."""

from safetyloop.report._history_plot import plot_history
from safetyloop.report._risk import (
    RiskReportContext,
    WrittenRiskReport,
    risk_context,
    risk_formats,
    write_risk_report,
)
from safetyloop.report._risk import render as render_risk_report

__all__ = [
    "RiskReportContext",
    "WrittenRiskReport",
    "plot_history",
    "render_risk_report",
    "risk_context",
    "risk_formats",
    "write_risk_report",
]
