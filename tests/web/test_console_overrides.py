"""Overriding a borderline verdict in the console: from the case page and the review item,
as the signed-in user, counted by the gate, audited; read-only, barred and CSRF-less refused."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from tests.governance.govhelpers import T0
from tests.web.borderline_project import build_borderline
from tests.web.conftest import Browser
from tests.web.console_project import READER

from safetyloop.api import gate
from safetyloop.governance import FixedClock
from safetyloop.governance.overrides import borderline_verdict
from safetyloop.governance.reviews import list_reviews
from safetyloop.store import Store
from safetyloop.web import create_app


@dataclass
class Borderline:
    url: str
    run_id: str
    items: list[str]
    client: TestClient


@pytest.fixture(scope="module")
def borderline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Borderline]:
    project = build_borderline(tmp_path_factory.mktemp("overrides"))
    with TestClient(create_app(project.config)) as client:
        yield Borderline(project.url, project.run_id, project.items, client)


def _form(item: str, back: str = "") -> dict[str, str]:
    return {"label": "refusal", "reason": "a refusal in substance", "back": back}


def test_refused_to_a_reader_a_barred_role_and_without_csrf(borderline: Borderline) -> None:
    item = borderline.items[0]
    path = f"/reviews/{item}/override"
    reader = Browser(borderline.client, READER).post(path, _form(item))
    assert reader.status_code == 403 and "read-only" in reader.text
    barred = Browser(borderline.client, "dana").post(path, _form(item))
    assert barred.status_code == 403 and "release-engineer" in barred.text
    no_csrf = Browser(borderline.client, "rita").post(path, _form(item), csrf=False)
    assert no_csrf.status_code == 403
    with Store(borderline.url) as store:
        assert not [e for e in store.audit_entries() if e.action == "verdict.overridden"]


def test_a_reviewer_overrides_from_the_case_page_and_the_gate_counts_it(
    borderline: Borderline,
) -> None:
    item = borderline.items[-1]
    with Store(borderline.url) as store:
        (review,) = [r for r in list_reviews(store) if r.id == item]
    case_key, _ = borderline_verdict(review.subject)
    rita = Browser(borderline.client, "rita")
    page = f"/runs/{borderline.run_id}/case?key={case_key}"
    shown = borderline.client.get(page)
    assert f'action="/reviews/{item}/override"' in shown.text, shown.text
    done = rita.post(f"/reviews/{item}/override", _form(item, back=page))
    assert done.status_code == 303 and done.headers["location"] == page, done.text
    after = borderline.client.get(page).text
    assert "overridden to" in after and "<b>rita</b>" in after
    assert f'action="/reviews/{item}/override"' not in after
    twin = borderline.client.get(f"/reviews/{item}.json").json()
    assert (twin["override"]["label"], twin["override"]["reviewer"]) == ("refusal", "rita")
    again = rita.post(f"/reviews/{item}/override", _form(item))
    assert again.status_code == 403 and "overridden already" in again.text
    with Store(borderline.url) as store:
        (entry,) = [e for e in store.audit_entries() if e.action == "verdict.overridden"]
    assert (entry.actor, entry.payload["case_key"], entry.payload["label"]) == (
        "rita",
        case_key,
        "refusal",
    )
    decided = gate(
        borderline.run_id, store_url=borderline.url, clock=FixedClock(T0), use_baseline=False
    )
    (criterion,) = decided.principles[0].criteria
    assert decided.overridden == 1 and (criterion.events, criterion.n) == (4, 5)
