"""Statistics: pure functions over counts, no I/O."""

from safetyloop.stats._intervals import Interval, wilson

__all__ = ["Interval", "wilson"]
