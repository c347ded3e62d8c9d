"""Reports: plots and documents built from stored evidence."""

from safetyloop.report._history_plot import plot_history

__all__ = ["plot_history"]
