"""Suites: the cases a target is evaluated on — bundled data sets, plugins and user files.

Public API: `Case`, `Suite`, the `@suite` registry (`SUITES`, `suite_names`, `suite_info`,
`load_suite`), user-file loading (`load_user_suite`, schema in docs/suites.md;
`resolve_suite_file` for the files a constitution names) and `stratified_sample`.
"""

from __future__ import annotations

from safetyloop.suites._case import CLUSTER_KEY, Case, Expected, Message
from safetyloop.suites._registry import (
    SUITES,
    SuiteInfo,
    load_suite,
    resolve_suite_file,
    suite,
    suite_info,
    suite_names,
)
from safetyloop.suites._sampling import stratified_sample
from safetyloop.suites._suite import Suite
from safetyloop.suites._userfile import load_user_suite

__all__ = [
    "CLUSTER_KEY",
    "SUITES",
    "Case",
    "Expected",
    "Message",
    "Suite",
    "SuiteInfo",
    "load_suite",
    "load_user_suite",
    "resolve_suite_file",
    "stratified_sample",
    "suite",
    "suite_info",
    "suite_names",
]
