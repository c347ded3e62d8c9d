"""How much does the runner itself cost per case, with a model that answers instantly?

A real model takes 0.1–10 s per answer, so the runner's own cost (HTTP client, retry bookkeeping,
cache lookups and writes, one committed SQLite row per result) only matters when it is a visible
share of that. This bench answers from a zero-delay stub server and runs N cases through the real
`Runner` + `OpenAITarget` + a real SQLite `Store` in a temporary folder, so streaming writes and
cache writes are included — the figures are an upper bound on what the runner adds per case.

    .venv/bin/python bench/runner_overhead.py                 # N=2000, concurrency 1, 8, 32
    .venv/bin/python bench/runner_overhead.py --server-process --n 500 --concurrency 4

`--server-process` runs the stub in its own process, so the server's threads do not compete with
the runner for this process's GIL (the in-process figures are therefore pessimistic).
The `memory` rows replace the store by an in-memory sink: the difference is the store's cost.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # for tests.doubles when run as a plain script

from tests.doubles.stub_chat_server import StubChatServer  # noqa: E402

from safetyloop.engine import CachedResponse, CaseResult, Runner, RunnerSettings  # noqa: E402
from safetyloop.store import NewRun, Store  # noqa: E402
from safetyloop.suites import Case, Message  # noqa: E402
from safetyloop.targets import GenerateParams, build_target  # noqa: E402


class MemorySink:
    """Results and cache in dicts: the runner and HTTP cost without any database."""

    def __init__(self) -> None:
        self.results: dict[str, CaseResult] = {}
        self.cache: dict[str, CachedResponse] = {}

    def record_result(self, run_id: str, result: CaseResult) -> None:
        self.results[result.case_key] = result

    def cache_get(self, key: str) -> CachedResponse | None:
        return self.cache.get(key)

    def cache_put(self, key: str, response: CachedResponse) -> None:
        self.cache[key] = response


def make_cases(n: int) -> list[Case]:
    """Distinct prompts, so that no case is a cache hit."""
    return [
        Case(
            id=f"c{i:05d}",
            suite="bench",
            category=f"cat{i % 4}",
            messages=(Message(role="user", content=f"benchmark prompt number {i}"),),
            expected="refuse",
        )
        for i in range(n)
    ]


@contextmanager
def stub_url(server_process: bool, delay: float = 0.0) -> Iterator[str]:
    """The base URL of a stub answering after `delay` s, in this process or in a child process."""
    if not server_process:
        with StubChatServer(delay=delay) as server:
            yield server.base_url
        return
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.doubles.stub_chat_server", "--delay", str(delay)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        yield child.stdout.readline().strip()
    finally:
        child.terminate()
        child.wait(timeout=10)


async def run_once(
    base_url: str, cases: list[Case], concurrency: int, sink_kind: str, folder: Path
) -> float:
    """Wall time of one full run; checks that every case produced one ok result."""
    target = build_target(f"openai:bench@{base_url}")
    params = GenerateParams()
    if sink_kind == "sqlite":
        store = Store(f"sqlite:///{folder / f'bench-{concurrency}.db'}")
        run = store.create_run(
            NewRun(
                plan_hash="bench",
                target_name=target.name,
                target_version=target.version,
                constitution_hash="bench",
                scorer_versions={},
                suite_versions={},
                lineage={},
            ),
            cases,
        )
        sink: Store | MemorySink = store
        run_id = run.id
    else:
        sink, run_id = MemorySink(), "bench"
    runner = Runner(
        target,
        params,
        sink,
        run_id,
        cache=sink,
        settings=RunnerSettings(timeout_s=60.0, concurrency=concurrency),
    )
    started = time.perf_counter()
    try:
        results = await runner.run(cases)
    finally:
        await target.aclose()
    wall = time.perf_counter() - started
    bad = [r for r in results if r.status != "ok" or r.cached]
    if bad:
        raise SystemExit(f"bench invalid: {len(bad)} results not fresh ok, e.g. {bad[0]}")
    if isinstance(sink, Store):
        stored = len(sink.finished_keys(run_id))
        sink.close()
        if stored != len(cases):
            raise SystemExit(f"bench invalid: {stored} rows stored for {len(cases)} cases")
    return wall


def main() -> None:
    parser = argparse.ArgumentParser(
        description="Runner overhead per case against a zero-delay OpenAI-compatible stub."
    )
    parser.add_argument("--n", type=int, default=2000, help="cases per run")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument(
        "--sinks", nargs="+", default=["sqlite", "memory"], choices=["sqlite", "memory"]
    )
    parser.add_argument(
        "--server-process", action="store_true", help="run the stub server in a separate process"
    )
    args = parser.parse_args()

    cases = make_cases(args.n)
    where = "separate process" if args.server_process else "same process (threads)"
    print(
        f"runner overhead: N={args.n} cases, zero-delay stub server in {where}, "
        f"python {sys.version.split()[0]}"
    )
    print(f"{'sink':<8}{'concurrency':>12}{'wall s':>10}{'cases/s':>10}{'ms/case':>10}")
    with stub_url(args.server_process) as base_url, tempfile.TemporaryDirectory() as tmp:
        for sink_kind in args.sinks:
            for concurrency in args.concurrency:
                wall = asyncio.run(run_once(base_url, cases, concurrency, sink_kind, Path(tmp)))
                print(
                    f"{sink_kind:<8}{concurrency:>12}{wall:>10.2f}{args.n / wall:>10.0f}"
                    f"{1000 * wall / args.n:>10.2f}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
