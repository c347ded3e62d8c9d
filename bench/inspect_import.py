"""Importing an Inspect log, measured against Inspect's own `read_eval_log` (issue 19's goal:
import at least 5x faster, memory flat however large the log).

    python bench/inspect_import.py [--samples 2000] [--epochs 2] [--pad 4000] [--log FILE]
        [--replicate N] [--only import]

Writes a large `.eval` log with Inspect itself (the tool-calling task of the interop tests,
`mockllm` with a scripted reply, every message padded to `--pad` characters), unless `--log`
names one. Then, each in a fresh process on the same file: `read_eval_log` (what a user of
Inspect's API waits for), our streaming reader alone (every sample decoded and converted,
nothing written), and the whole `safetyloop import inspect` into a fresh SQLite store (one
transaction, every result and verdict digested into the audit chain). Prints seconds (after
the same imports in each process: Inspect's and safetyloop's, timed apart), the ratio to
`read_eval_log`, and each process's peak RSS (the imports alone take about 200 MB).

`--replicate N` builds a log N times larger from that one: every sample member Inspect wrote,
copied N times under new ids (`<id>-r<k>`, and the summaries likewise), deflate-compressed (a
compression Inspect also writes and reads). The import samples its RSS every 0.25 s and
prints it at each tenth of the run, to show memory stays flat; `--only import` skips the
other two ways (read_eval_log on a log of several hundred MB takes many minutes).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

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


def _replicate(log: Path, copies: int, folder: Path) -> Path:
    """A log `copies` times larger: each sample member of `log` repeated under new ids."""
    from safetyloop.interop._reader import _member_json

    out = folder / f"{log.stem}-x{copies}.eval"
    with (
        zipfile.ZipFile(log) as zf,
        log.open("rb") as fh,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as dst,
    ):
        for info in zf.infolist():
            value = _member_json(log, zf, fh, info.filename)
            if info.filename.startswith("samples/"):
                for k in range(copies):
                    copy = {**value, "id": f"{value['id']}-r{k}"}
                    name = f"samples/{copy['id']}_epoch_{copy['epoch']}.json"
                    dst.writestr(name, json.dumps(copy))
            elif info.filename == "summaries.json":
                rows = [{**v, "id": f"{v['id']}-r{k}"} for k in range(copies) for v in value]
                dst.writestr(info.filename, json.dumps(rows))
            elif not info.filename.startswith("_journal/"):
                dst.writestr(info.filename, json.dumps(value))
    return out


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


def _sampled(work: Callable[[], int]) -> tuple[int, list[float]]:
    """`work()`, with this process's RSS read every 0.25 s while it runs."""
    rss: list[float] = []
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.25):
            rss.append(_rss_mb())

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        return work(), rss
    finally:
        done.set()
        thread.join()


def _measure(kind: str, log: Path) -> dict[str, Any]:
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
    rss: list[float] = []
    if kind == "read_eval_log":
        n = len(read_eval_log(str(log)).samples or [])
    elif kind == "reader":
        opened = open_log(log)
        ctx = SampleContext(str(log), "inspect:bench", Expected.COMPLY, {})
        n = sum(1 for s in opened.samples() if convert(s, ctx))
    else:

        def work() -> int:
            with tempfile.TemporaryDirectory() as d, Store(f"sqlite:///{d}/s.db") as store:
                (done,) = import_inspect([log], store)
                return done.cases

        n, rss = _sampled(work)
    seconds = time.perf_counter() - start
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "seconds": seconds,
        "samples": n,
        "rss_mb": rss_mb,
        "rss_imports_mb": rss_imports,
        "imports": imports,
        "rss_tenths": [rss[len(rss) * i // 10] for i in range(10)] if rss else [],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--pad", type=int, default=4000, help="characters added to each input")
    parser.add_argument("--log", type=Path, help="an existing .eval log to read instead")
    parser.add_argument("--keep", type=Path, help="write the generated log into this folder")
    parser.add_argument("--replicate", type=int, default=1, help="copies of each sample")
    parser.add_argument("--only", choices=["read_eval_log", "reader", "import"], action="append")
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
        if args.replicate > 1:
            start = time.perf_counter()
            log = _replicate(log, args.replicate, args.keep or Path(folder))
            print(
                f"replicated each sample {args.replicate}x in {time.perf_counter() - start:.1f} s"
            )
        size = log.stat().st_size / 1e6
        print(f"log: {size:.1f} MB on disk")
        figures = {}
        for kind in args.only or ("read_eval_log", "reader", "import"):
            out = subprocess.run(
                [sys.executable, __file__, "--measure", kind, "--log", str(log)],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            figures[kind] = json.loads(out.strip().splitlines()[-1])
        base = figures.get("read_eval_log", {}).get("seconds")
        for kind, f in figures.items():
            ratio = f", {base / f['seconds']:5.1f}x read_eval_log's speed" if base else ""
            print(
                f"{kind:>14}: {f['seconds']:7.2f} s for {int(f['samples'])} samples{ratio}, "
                f"peak RSS {f['rss_mb']:.0f} MB"
                f" ({f['rss_imports_mb']:.0f} MB after {f['imports']:.1f} s of imports, not timed)"
            )
            if f.get("rss_tenths"):
                tenths = " ".join(f"{r:.0f}" for r in f["rss_tenths"])
                print(f"{'':>14}  RSS (MB) at each tenth of the import: {tenths}")


if __name__ == "__main__":
    main()
