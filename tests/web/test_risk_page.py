"""The risk report page: behind sign-in, the report's own HTML inside the console, its JSON
twin with the argument `safetyloop report risk` makes, and a link from a run's page."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

from tests.web.conftest import Browser
from tests.web.console_project import ConsoleProject

from safetyloop.governance import env_clock
from safetyloop.risk import argue, load_pathways
from safetyloop.store import Store


def test_the_risk_page_needs_sign_in_and_shows_the_report_and_its_twin(
    project: ConsoleProject, as_user: Callable[[str | None], Browser]
) -> None:
    version = project.bad.target_version
    with Store(project.url) as store:
        head = max((e.seq for e in store.audit_entries()), default=0)
    path = f"/risk/{quote(version)}"
    anonymous = as_user(None).client
    assert anonymous.get(path, follow_redirects=False).status_code == 303
    assert anonymous.get(f"{path}.json").status_code == 401
    reader = as_user("rhea").client
    run_page = reader.get(f"/runs/{project.bad.id}").text
    assert f'href="{path}"' in run_page
    shown = reader.get(path)
    assert shown.status_code == 200 and 'id="risk-report"' in shown.text
    assert 'srcdoc="&lt;' in shown.text  # the report's page, escaped into the frame
    twin = reader.get(f"{path}.json").json()
    with Store(project.url) as store:
        argued = argue(store, load_pathways(), version, env_clock().now())
    assert twin["target_version"] == version and twin["status"] == argued.status
    assert {p["id"]: p["status"] for p in twin["pathways"]} == {
        p.id: p.status for p in argued.pathways
    }
    assert f'id="risk-status" class="badge {argued.status}"' in shown.text
    with Store(project.url) as store:  # a page reads: no report recorded, no debt opened
        after = [e.action for e in store.audit_entries() if e.seq > head]
    assert not [a for a in after if a.startswith(("risk", "debt"))], after
