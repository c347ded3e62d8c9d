"""The `incident-regressions` suite: every promoted regression case, read from the store.

It is registered through the `safetyloop.suites` entry point, so constitutions name it like any
bundled suite (the default C5 does). Its version is the content hash of its cases (sorted by id),
so promoting a case gives the suite a new version and runs record exactly which one they ran.

The cases live in the store named by SAFETYLOOP_STORE_URL (default: `.safetyloop/safetyloop.db`
under the working folder). When that default store does not exist yet the suite is empty: there
are no incidents, and nothing is created just by looking.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from safetyloop.incidents._repo import regression_cases
from safetyloop.store import Store
from safetyloop.store._store import DEFAULT_DIR
from safetyloop.suites import Case, Suite, SuiteInfo, _registry
from safetyloop.suites._registry import SuiteLoader

__all__ = ["SUITE_NAME", "forget_cached_suite", "incident_regressions", "regression_suite"]

SUITE_NAME = "incident-regressions"
DESCRIPTION = "Regression cases promoted from production incidents (this project's store)"
SOURCE = "safetyloop incident promote (records under the project's store)"
LICENSE = "project-internal"


def _store_url() -> str | None:
    url = os.environ.get("SAFETYLOOP_STORE_URL")
    if url:
        return url
    path = Path.cwd() / DEFAULT_DIR / "safetyloop.db"
    return f"sqlite:///{path}" if path.exists() else None


def _promoted_cases() -> Iterable[Case]:
    """The promoted cases of the project's store (none when there is no store yet)."""
    url = _store_url()
    if url is None:
        return []
    with Store(url) as store:
        return regression_cases(store)


#: The entry point's value. Not registered with `@suite` at import time: the registry registers
#: it when a lookup first needs it, like any plugin (no "name already taken" warning).
incident_regressions = SuiteLoader(
    SuiteInfo(SUITE_NAME, DESCRIPTION, SOURCE, LICENSE), _promoted_cases
)


def regression_suite(store: Store) -> Suite:
    """The suite as it stands in `store` (what `load_suite` gives when that store is the
    project's)."""
    return Suite(
        name=SUITE_NAME,
        description=DESCRIPTION,
        source=SOURCE,
        license=LICENSE,
        cases=tuple(regression_cases(store)),
    )


def forget_cached_suite() -> None:
    """Drop the registry's per-process copy after a promotion, so the next lookup sees it."""
    with _registry._lock:
        _registry._cache.pop(SUITE_NAME, None)
