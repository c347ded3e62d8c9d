"""Importing an Inspect log, measured against Inspect's own `read_eval_log` (issue 19's goal:
import at least 5x faster, memory flat however large the log).

    python bench/inspect_import.py [--samples 2000] [--epochs 2] [--pad 4000] [--log FILE]

Writes a large `.eval` log with Inspect itself (the tool-calling task of the interop tests,
`mockllm` with a scripted reply, every message padded to `--pad` characters), unless `--log`
names one. Then, each in a fresh process on the same file: `read_eval_log` (what a user of
Inspect's API waits for), our streaming reader alone (every sample decoded and converted,
nothing written), and the whole `safetyloop import inspect` into a fresh SQLite store (one
transaction, every result and verdict digested into the audit chain). Prints seconds (after
the same imports in each process: Inspect's and safetyloop's, timed apart), the ratio to
`read_eval_log`, and each process's peak RSS (the imports alone take about 200 MB).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _generate(folder: Path, samples: int, epochs: int, pad: int) -> Path:
    from inspect_ai import Task
    from inspect_ai.dataset import Sample
    from inspect_ai.scorer import includes, match
    from inspect_ai.solver import generate, use_tools
    from tests.interop.inspect_tasks import add, run_tasks

    filler = " ".join(["lorem ipsum dolor sit amet"] * (pad // 27 + 1))[:pad]
    task = Task(
        name="bench_tools",
        dataset=[
            Sample(input=f"What is {i}+1? {filler}", target=str(i + 1), id=f"s{i}")
            for i in range(samples)
        ],
        solver=[use_tools(add()), generate()],
        scorer=[match(), includes()],
    )
    (log,) = run_tasks([task], folder, "eval", epochs)
    return log


def _measure(kind: str, log: Path) -> dict[str, float]:
    """Run in a child process: seconds (after the imports, which are timed apart) and peak
    RSS of one way of reading `log`."""
    start = time.perf_counter()
    from inspect_ai.log import read_eval_log

    from safetyloop.interop import import_inspect, open_log
    from safetyloop.interop._convert import SampleContext, convert
    from safetyloop.store import Store
    from safetyloop.suites import Expected

    imports = time.perf_counter() - start
    rss_imports = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    start = time.perf_counter()
    if kind == "read_eval_log":
        n = len(read_eval_log(str(log)).samples or [])
    elif kind == "reader":
        opened = open_log(log)
        ctx = SampleContext(str(log), "inspect:bench", Expected.COMPLY, {})
        n = sum(1 for s in opened.samples() if convert(s, ctx))
    else:
        with tempfile.TemporaryDirectory() as folder, Store(f"sqlite:///{folder}/s.db") as store:
            (done,) = import_inspect([log], store)
            n = done.cases
    seconds = time.perf_counter() - start
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "seconds": seconds,
        "samples": n,
        "rss_mb": rss_mb,
        "rss_imports_mb": rss_imports,
        "imports": imports,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--pad", type=int, default=4000, help="characters added to each input")
    parser.add_argument("--log", type=Path, help="an existing .eval log to read instead")
    parser.add_argument("--keep", type=Path, help="write the generated log into this folder")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(_measure(args.measure, args.log)))
        return
    with tempfile.TemporaryDirectory() as folder:
        if args.log is None:
            start = time.perf_counter()
            log = _generate(args.keep or Path(folder), args.samples, args.epochs, args.pad)
            print(f"generated {log.name} with Inspect in {time.perf_counter() - start:.1f} s")
        else:
            log = args.log
        size = log.stat().st_size / 1e6
        print(f"log: {size:.1f} MB on disk")
        figures = {}
        for kind in ("read_eval_log", "reader", "import"):
            out = subprocess.run(
                [sys.executable, __file__, "--measure", kind, "--log", str(log)],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            figures[kind] = json.loads(out.strip().splitlines()[-1])
        base = figures["read_eval_log"]["seconds"]
        for kind, f in figures.items():
            print(
                f"{kind:>14}: {f['seconds']:7.2f} s for {int(f['samples'])} samples, "
                f"{base / f['seconds']:5.1f}x read_eval_log's speed, peak RSS {f['rss_mb']:.0f} MB"
                f" ({f['rss_imports_mb']:.0f} MB after {f['imports']:.1f} s of imports, not timed)"
            )


if __name__ == "__main__":
    main()
