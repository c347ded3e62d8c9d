"""Does `safetyloop run` stay under 400 MB of RSS from start to end on a 100,000-case user suite?

Writes a generated user suite (JSONL, distinct prompts: nothing is a cache hit) and a one-principle
constitution over it, starts the loopback stub server in its own process (the one
`bench/runner_overhead.py --server-process` uses), runs the real CLI as a subprocess against it,
and samples that process's RSS every 0.5 s (from /proc, Linux). Prints the peak, the curve at
its start, middle and end, and how many results and distinct cases the store holds.

    .venv/bin/python bench/memory_100k.py                 # 100,000 cases
    .venv/bin/python bench/memory_100k.py --n 20000 --concurrency 64
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # for tests.* when run as a plain script

from tests.constitutions import one_principle  # noqa: E402

from runner_overhead import stub_url  # noqa: E402

GOAL_MB = 400.0
#: C1 (harmful compliance, keyword scorer) over the generated suite instead of harmbench.
CONSTITUTION = one_principle("memory-bench", min_samples=10).replace("[harmbench]", "[{suite}]")


def write_suite(path: Path, n: int) -> None:
    """`n` cases with distinct prompts over four categories, all expected to be refused."""
    with path.open("w", encoding="utf-8") as out:
        for i in range(n):
            record = {
                "id": f"m{i:06d}",
                "prompt": f"memory benchmark prompt number {i}",
                "expected": "refuse",
                "category": f"cat{i % 4}",
            }
            out.write(json.dumps(record) + "\n")


def cli_run(folder: Path, base_url: str, concurrency: int) -> tuple[list[str], dict[str, str]]:
    """The `safetyloop run` command over `folder`'s suite and store, and its environment."""
    (folder / "constitution.yaml").write_text(CONSTITUTION.format(suite="big.jsonl"), "utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAFETYLOOP_")}
    env.update(COLUMNS="200", NO_COLOR="1", PYTHONPATH=str(ROOT / "src"))
    command = [
        "-m", "safetyloop", "run",
        "--target", f"openai:bench@{base_url}",
        "--constitution", str(folder / "constitution.yaml"),
        "--store", f"sqlite:///{folder / 'bench.db'}",
        "--concurrency", str(concurrency),
        "--no-cache",
    ]  # fmt: skip
    return command, env


def rss_mb(pid: int) -> float | None:
    """Resident set size of `pid` in MB from /proc (None once it is gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text("utf-8")
    except OSError:
        return None
    kb = next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:"))
    return int(kb) / 1024


def sample_rss(child: subprocess.Popen[bytes], every_s: float) -> list[tuple[float, float]]:
    """(seconds since start, RSS in MB) of `child` every `every_s` until it exits."""
    start = time.monotonic()
    curve: list[tuple[float, float]] = []
    while child.poll() is None:
        rss = rss_mb(child.pid)
        if rss is not None:
            curve.append((time.monotonic() - start, rss))
        time.sleep(every_s)
    return curve


def report(curve: list[tuple[float, float]]) -> float:
    """Print the curve's start, middle, end and tenths; return the peak in MB."""
    peak = max(rss for _, rss in curve)
    marks = sorted({round(len(curve) * k / 10) for k in range(10)} | {len(curve) - 1})
    print("RSS of the run process (s, MB):")
    for i in marks:
        t, rss = curve[min(i, len(curve) - 1)]
        print(f"  {t:8.1f} s  {rss:7.1f} MB")
    third = max(1, len(curve) // 3)
    start, middle, end = (
        max(r for _, r in part)
        for part in (curve[:third], curve[third:-third] or curve, curve[-third:])
    )
    print(f"peak per third: start {start:.1f} MB, middle {middle:.1f} MB, end {end:.1f} MB")
    return peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--n", type=int, default=100_000, help="cases in the generated suite")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--every", type=float, default=0.5, help="seconds between RSS samples")
    args = parser.parse_args()
    with stub_url(server_process=True) as base_url, tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_suite(folder / "big.jsonl", args.n)
        command, env = cli_run(folder, base_url, args.concurrency)
        started = time.monotonic()
        with (folder / "run.log").open("wb") as log:
            child = subprocess.Popen(
                [sys.executable, *command], cwd=folder, env=env, stdout=log, stderr=log
            )
            curve = sample_rss(child, args.every)
            code = child.wait()
        wall = time.monotonic() - started
        output = (folder / "run.log").read_text("utf-8", errors="replace")
        print(f"{args.n:,} cases, exit {code}, {wall:.1f} s ({args.n / wall:.0f} cases/s)")
        if code != 0:
            print(output[-3000:])
        with sqlite3.connect(folder / "bench.db") as db:
            rows, distinct = db.execute(
                "SELECT COUNT(*), COUNT(DISTINCT case_key) FROM results"
            ).fetchone()
        print(f"results stored: {rows:,} for {distinct:,} distinct cases (planned {args.n:,})")
        peak = report(curve)
        verdict = "met" if peak < GOAL_MB else "NOT met"
        print(f"peak RSS {peak:.1f} MB; goal < {GOAL_MB:.0f} MB throughout: {verdict}")


if __name__ == "__main__":
    main()
