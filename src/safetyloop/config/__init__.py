"""Configuration files as validated, versioned data: the constitution and its YAML loader.

Every loader reports all mistakes at once as `file:line: key.path: message` (ConfigError, exit 2),
before anything runs.
"""

from safetyloop.config._constitution import (
    Comparison,
    Constitution,
    Criterion,
    Enforcement,
    Principle,
    RuleCriterion,
    Severity,
    SmallestPassingN,
    Waiver,
    default_constitution_path,
    load_constitution,
    load_default_constitution,
)
from safetyloop.config._limits import read_text
from safetyloop.config._yaml import LineMap, load_model, load_yaml

__all__ = [
    "Comparison",
    "Constitution",
    "Criterion",
    "Enforcement",
    "LineMap",
    "Principle",
    "RuleCriterion",
    "Severity",
    "SmallestPassingN",
    "Waiver",
    "default_constitution_path",
    "load_constitution",
    "load_default_constitution",
    "load_model",
    "load_yaml",
    "read_text",
]
