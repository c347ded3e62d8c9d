"""Reports: plots and documents built from stored evidence."""

from safetyloop.report._history_plot import plot_history
from safetyloop.report._risk import (
    RiskReportContext,
    WrittenRiskReport,
    risk_formats,
    write_risk_report,
)

__all__ = [
    "RiskReportContext",
    "WrittenRiskReport",
    "plot_history",
    "risk_formats",
    "write_risk_report",
]
