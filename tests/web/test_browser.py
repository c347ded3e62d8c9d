"""The console in a real browser: Debian's Chromium driven by Playwright, against uvicorn.

One browser for the module, one project of its own (the scenarios change its reviews), and a
screenshot of each main page under the test's temporary folder.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.web.console_project import (
    PASSWORD,
    ConsoleProject,
    answer_run,
    build,
    planned_run,
    serving,
)

from safetyloop.store import Store

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="no /usr/bin/chromium (make install installs it with apt)"
    ),
]

playwright_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ConsoleProject, str]]:
    project = build(tmp_path_factory.mktemp("browser"))
    with serving(project.config()) as url:
        yield project, url


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with playwright_api.sync_playwright() as p:
        launched = p.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"]
        )
        yield launched
        launched.close()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    """Where screenshots go (SAFETYLOOP_WEB_SHOTS keeps a copy there, to look at them)."""
    return Path(os.environ.get("SAFETYLOOP_WEB_SHOTS") or tmp_path)


def _page(browser: object, url: str, user: str) -> object:
    """A fresh browser context signed in as `user` through the sign-in form."""
    page = browser.new_context(viewport={"width": 1300, "height": 900}).new_page()  # type: ignore[attr-defined]
    page.goto(f"{url}/runs")
    assert "/login" in page.url  # not signed in: sent to the sign-in page
    page.fill("input[name=name]", user)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/runs")
    return page


def test_sign_in_open_a_run_and_a_failing_case_from_the_gate(
    site: tuple[ConsoleProject, str], browser: object, shots: Path
) -> None:
    project, url = site
    page = _page(browser, url, "rhea")
    page.screenshot(path=shots / "runs.png", full_page=True)
    page.click(f"text={project.bad.id}")
    page.wait_for_url(f"{url}/runs/{project.bad.id}")
    assert page.locator("#cases tbody tr").count() == 5
    page.screenshot(path=shots / "run.png", full_page=True)
    page.click("text=Gate decision")
    assert page.inner_text("#decision") == "BLOCK"
    assert "C1" in page.inner_text("#decision-table")
    page.screenshot(path=shots / "gate.png", full_page=True)
    page.click("a.cases-link")
    page.locator("#cases tbody a").first.click()
    transcript = page.inner_text("ol.transcript")
    assert "user" in transcript and "target's answer" in transcript
    assert "compliance" in page.inner_text("main table")
    page.screenshot(path=shots / "case.png", full_page=True)


def test_compare_two_runs(site: tuple[ConsoleProject, str], browser: object, shots: Path) -> None:
    project, url = site
    page = _page(browser, url, "rhea")
    page.fill("input[name=baseline]", project.good.id)
    page.fill("input[name=candidate]", project.bad.id)
    page.click("text=Compare")
    page.wait_for_url(f"{url}/compare?*")
    assert "C1" in page.inner_text("#tests")
    changed = page.locator("#changed tbody tr")
    assert changed.count() == 5 and "regression" in changed.first.inner_text()
    page.screenshot(path=shots / "compare.png", full_page=True)


def _approve(page: object, url: str, item: str, reason: str) -> str:
    page.goto(f"{url}/reviews/{item}")  # type: ignore[attr-defined]
    page.fill("textarea[name=reason]", reason)  # type: ignore[attr-defined]
    page.click("button[name=approve]")  # type: ignore[attr-defined]
    return str(page.inner_text("main"))  # type: ignore[attr-defined]


def test_two_reviewers_approve_a_tier_2_review_and_the_gate_changes(
    site: tuple[ConsoleProject, str], browser: object, shots: Path
) -> None:
    project, url = site
    gate = f"{url}/runs/{project.good.id}/gate"
    rita = _page(browser, url, "rita")
    rita.goto(gate)
    assert rita.inner_text("#decision") == "PASS"
    item = project.hold("C1/harmful_compliance@harmbench")
    rita.goto(gate)
    assert rita.inner_text("#decision") == "BLOCK"
    assert "awaiting-review" in rita.inner_text("#findings")
    rita.goto(f"{url}/reviews")
    rita.screenshot(path=shots / "reviews.png", full_page=True)
    shown = _approve(rita, url, item, "read the five transcripts")
    assert "approve by rita (reviewer)" in shown and rita.inner_text("#review-status") == "pending"
    rita.goto(gate)
    assert rita.inner_text("#decision") == "BLOCK"  # tier 2 needs two distinct approvers
    # The same reviewer cannot sign twice.
    again = _approve(rita, url, item, "again")
    assert "rita has already signed review" in again
    ravi = _page(browser, url, "ravi")
    shown = _approve(ravi, url, item, "agreed")
    assert ravi.inner_text("#review-status") == "approved"
    ravi.screenshot(path=shots / "review.png", full_page=True)
    ravi.goto(gate)
    assert ravi.inner_text("#decision") == "PASS"


def test_a_forbidden_approver_is_refused(site: tuple[ConsoleProject, str], browser: object) -> None:
    project, url = site
    item = project.hold("forbidden approver")
    olga = _page(browser, url, "olga")
    shown = _approve(olga, url, item, "I wrote the fix")
    assert "olga holds the role release-engineer, which may not approve reviews" in shown
    dana = _page(browser, url, "dana")
    assert "dana authored the release" in _approve(dana, url, item, "mine")
    olga.goto(f"{url}/reviews/{item}.json")
    assert '"signatures":[]' in olga.inner_text("body").replace(" ", "")


def test_a_form_without_its_csrf_token_is_403(
    site: tuple[ConsoleProject, str], browser: object
) -> None:
    project, url = site
    item = project.hold("csrf in the browser")
    page = _page(browser, url, "sam")
    page.goto(f"{url}/reviews/{item}")
    page.evaluate("document.querySelector('#decide input[name=csrf]').remove()")
    page.fill("textarea[name=reason]", "no token")
    with page.expect_response(lambda r: r.request.method == "POST") as sent:
        page.click("button[name=approve]")
    assert sent.value.status == 403
    assert "CSRF token is missing" in page.inner_text("main")


def test_screenshots_of_the_other_main_pages(
    site: tuple[ConsoleProject, str], browser: object, shots: Path
) -> None:
    _, url = site
    page = _page(browser, url, "sam")
    for name in ("debt", "exceptions", "incidents", "audit", "history"):
        page.goto(f"{url}/{name}")
        assert page.locator("h1").count() == 1
        page.screenshot(path=shots / f"{name}.png", full_page=True)
    page.goto(f"{url}/audit")
    page.click("#verify")
    assert page.inner_text("#verdict") == "intact"
    page.screenshot(path=shots / "verified.png", full_page=True)
    assert len(list(shots.glob("*.png"))) >= 6


def test_a_running_run_shows_its_progress_and_its_cases_when_done(
    site: tuple[ConsoleProject, str], browser: object
) -> None:
    project, url = site
    with Store(project.url) as store:
        running = planned_run(store, 3, target="in-flight")
    page = _page(browser, url, "rhea")
    page.goto(f"{url}/runs/{running.id}")  # type: ignore[attr-defined]
    assert page.inner_text("#progress") == "0 / 3"  # type: ignore[attr-defined]
    assert page.inner_text("#run-status") == "running"  # type: ignore[attr-defined]
    with Store(project.url) as store:
        answer_run(store, running)
    # The page polls its progress and reloads once the run has finished: no manual refresh.
    page.wait_for_function(  # type: ignore[attr-defined]
        "document.getElementById('run-status').textContent === 'finished'", timeout=20_000
    )
    assert page.inner_text("#progress") == "3 / 3"  # type: ignore[attr-defined]
    assert "refusal_keyword: compliance" in page.inner_text("#cases")  # type: ignore[attr-defined]


def test_a_reviewer_overrides_a_borderline_verdict_and_sees_the_risk_report(
    tmp_path: Path, browser: object, shots: Path
) -> None:
    """From the borderline item to the case, the override form, the gate counting it; then the
    run's risk report."""
    from concurrent.futures import ThreadPoolExecutor

    from tests.web.borderline_project import build_borderline

    with ThreadPoolExecutor(1) as pool:  # its run uses asyncio; Playwright's loop runs here
        project = pool.submit(build_borderline, tmp_path).result()
    with serving(project.config) as url:
        page = _page(browser, url, "rita")
        page.goto(f"{url}/reviews/{project.items[0]}")  # type: ignore[attr-defined]
        page.select_option("#override select[name=label]", "refusal")  # type: ignore[attr-defined]
        page.fill("#override textarea[name=reason]", "a refusal in substance")  # type: ignore[attr-defined]
        page.click("#override button[name=override]")  # type: ignore[attr-defined]
        page.wait_for_url(f"{url}/reviews/{project.items[0]}")  # type: ignore[attr-defined]
        assert "overridden to" in page.inner_text("#override")  # type: ignore[attr-defined]
        page.screenshot(path=shots / "override.png", full_page=True)  # type: ignore[attr-defined]
        page.goto(f"{url}/runs/{project.run_id}/gate")  # type: ignore[attr-defined]
        assert "4 / 5" in page.content()  # type: ignore[attr-defined]
        page.goto(f"{url}/runs/{project.run_id}")  # type: ignore[attr-defined]
        page.click("#risk-link")  # type: ignore[attr-defined]
        page.wait_for_selector("#risk-report")  # type: ignore[attr-defined]
        page.screenshot(path=shots / "risk.png", full_page=True)  # type: ignore[attr-defined]
