"""The risk report's HTML in a real headless Chromium (Playwright, the system's browser): the
conclusion and every pathway render, the gaps are red, the plot loads; a screenshot is saved
beside the report for a person to look at."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from tests.risk.riskworld import World

CHROMIUM = "/usr/bin/chromium"
RED = "rgb(198, 40, 40)"  # #c62828, the template's gap colour


@pytest.mark.skipif(
    shutil.which(CHROMIUM) is None, reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)"
)
def test_the_report_renders_in_chromium_with_its_gaps_in_red(
    world: World, written: dict[str, Any]
) -> None:
    from playwright.sync_api import sync_playwright

    html = world.folder / "first.html"
    shot = world.folder / "risk-report.png"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(html.as_uri())
            assert "UNSUPPORTED" in page.inner_text("#conclusion")
            assert page.locator("#summary tr").count() == 4  # header + three pathways
            assert page.locator("section.pathway").count() == 3
            reasons = page.locator("span.why")
            assert reasons.count() == 4  # failing, stale, unsigned, expired
            colours = {
                reasons.nth(i).evaluate("e => getComputedStyle(e).color")
                for i in range(reasons.count())
            }
            assert colours == {RED}
            gap_badge = page.locator("#expiring .badge.gap-badge").first
            assert gap_badge.inner_text() == "gap: expired"
            assert gap_badge.evaluate("e => getComputedStyle(e).backgroundColor") == RED
            width = page.locator("img.plot").evaluate("e => e.complete ? e.naturalWidth : 0")
            assert width > 0  # the embedded plot decoded
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    assert Path(shot).stat().st_size > 10_000
