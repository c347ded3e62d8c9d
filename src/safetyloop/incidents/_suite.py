"""The `incident-regressions` suite: every promoted regression case, read from the store.

It is registered through the `safetyloop.suites` entry point, so constitutions name it like any
bundled suite (the default C5 does). Its version is the content hash of its cases (sorted by id),
so promoting a case gives the suite a new version and runs record exactly which one they ran.

The cases live in the project's store (`store.project_store_url`): the store the run or gate at
hand uses (`--store`), else SAFETYLOOP_STORE_URL, else `.safetyloop/safetyloop.db` under the
working folder. When that default store does not exist yet the suite is empty: there are no
incidents, and nothing is created just by looking. The suite is never cached: it is read afresh
at each lookup, so a promotion or another store is seen at once.
"""

from __future__ import annotations

from collections.abc import Iterable

from safetyloop.incidents._repo import regression_cases
from safetyloop.store import Store, project_store_url
from safetyloop.suites import Case, Suite, SuiteInfo
from safetyloop.suites._registry import SuiteLoader

__all__ = ["SUITE_NAME", "incident_regressions", "regression_suite"]

SUITE_NAME = "incident-regressions"
DESCRIPTION = "Regression cases promoted from production incidents (this project's store)"
SOURCE = "safetyloop incident promote (records under the project's store)"
LICENSE = "project-internal"


def _promoted_cases() -> Iterable[Case]:
    """The promoted cases of the project's store (none when there is no store yet)."""
    url = project_store_url()
    if url is None:
        return []
    with Store(url) as store:
        return regression_cases(store)


#: The entry point's value. Not registered with `@suite` at import time: the registry loads it
#: when a lookup first needs it, like any plugin (a name also registered on import would be
#: reported as a plugin claiming a built-in name).
incident_regressions = SuiteLoader(
    SuiteInfo(SUITE_NAME, DESCRIPTION, SOURCE, LICENSE), _promoted_cases, cached=False
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
