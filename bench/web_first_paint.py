"""First paint of a 100,000-case run page in the web console (issue 16's goal: <= 1 s).

    python bench/web_first_paint.py [--cases 100000] [--store PATH] [--repeat 5]

Generates (once; kept at --store, default /tmp/safetyloop-web-bench-N.db) a store holding one
finished run of N cases written through the store's own API (a result and a keyword verdict
each: `tests/web/console_project.generated_run`), serves the console with uvicorn on loopback,
signs in, and times:
  - the server's response to the run page (first 100 cases, keyset), its JSON twin, and a page
    deep in the run (after position N - 200), and the filtered page (verdict label);
  - first paint in Debian's Chromium (Playwright, navigation to the `load` event) when
    /usr/bin/chromium exists.
Prints the median and the worst of --repeat tries of each.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from tests.web.console_project import PASSWORD, generated_run, serving  # noqa: E402

from safetyloop.store import Store  # noqa: E402
from safetyloop.web import WebConfig, add_account  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")


def _store(path: Path, cases: int) -> tuple[str, str]:
    """The store's URL and its generated run's id (generated when the file is new)."""
    url = f"sqlite:///{path}"
    with Store(url) as store:
        runs = store.list_runs(limit=1)
        if runs:
            return url, runs[0].id
        started = time.perf_counter()
        run = generated_run(store, cases, target="bench")
        add_account(store, "bench", password=PASSWORD)
        print(f"generated {cases} cases in {time.perf_counter() - started:.0f} s at {path}")
        return url, run.id


def _times(fetch: object, repeat: int) -> str:
    took = []
    for _ in range(repeat):
        started = time.perf_counter()
        fetch()  # type: ignore[operator]
        took.append(time.perf_counter() - started)
    return f"median {statistics.median(took) * 1000:.0f} ms, worst {max(took) * 1000:.0f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--store", type=Path, default=None)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    path = args.store or Path(tempfile.gettempdir()) / f"safetyloop-web-bench-{args.cases}.db"
    url, run_id = _store(path, args.cases)
    roles = path.with_suffix(".roles.yaml")
    roles.write_text("bench: [reviewer]\n", "utf-8")
    with serving(WebConfig(store_url=url, roles=roles, secret="bench")) as base:
        client = httpx.Client(base_url=base, timeout=60)
        csrf = client.get("/login").text.split('name="csrf" value="')[1].split('"')[0]
        client.post("/login", data={"name": "bench", "password": PASSWORD, "csrf": csrf})

        def get(path: str) -> None:
            response = client.get(path)
            assert response.status_code == 200, response.text[:300]

        deep = args.cases - 200
        print(f"run {run_id}: {args.cases} cases, on this machine")
        pages = [
            ("run page (HTML)", f"/runs/{run_id}"),
            ("run page (JSON twin)", f"/runs/{run_id}.json"),
            (f"page after position {deep}", f"/runs/{run_id}?after={deep}"),
            ("verdict label filter", f"/runs/{run_id}?labels=compliance"),
        ]
        for label, path in pages:
            print(f"  server, {label}: {_times(lambda p=path: get(p), args.repeat)}")
        if not CHROMIUM.exists():
            print("  browser: skipped (no /usr/bin/chromium)")
            return
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"]
            )
            context = browser.new_context()
            context.add_cookies(
                [{"name": k, "value": v, "url": base} for k, v in client.cookies.items()]
            )
            page = context.new_page()

            def paint() -> None:
                page.goto(f"{base}/runs/{run_id}", wait_until="load")
                assert page.locator("#cases tbody tr").count() == 100

            paint()  # warm-up: Chromium's first navigation starts its renderer
            print(f"  browser, first paint (load, warm browser): {_times(paint, args.repeat)}")
            browser.close()


if __name__ == "__main__":
    main()
