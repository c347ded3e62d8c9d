"""Start-up of the CLI: wall time and peak memory of `safetyloop --help` (and any other args).

Why: every CI step and every shell completion pays the CLI's start-up, so a command imports its
stage (SciPy, statsmodels, pandas, SQLAlchemy, Alembic, torch) only when it runs; `--help`
must stay under 0.5 s and 80 MB (issue 17). This prints the median over several runs of a
fresh process, its RSS read from the child's own maximum resident set size (`wait4`).

    .venv/bin/python bench/startup.py [--runs 7] [-- gate --help]

The console script next to the interpreter is run when there is one (as a user would), else
`python -m safetyloop`. Figures depend on the disk cache and other load on the machine: the
first run is a warm-up and not counted.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path


def command(args: list[str]) -> list[str]:
    """The installed console script with `args`, else the module run by this interpreter."""
    script = Path(sys.executable).with_name("safetyloop")
    return [str(script), *args] if script.is_file() else [sys.executable, "-m", "safetyloop", *args]


def measure(argv: list[str]) -> tuple[float, float, int]:
    """Seconds, peak RSS in MB and exit code of one run of `argv`."""
    start = time.perf_counter()
    child = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    return seconds, usage.ru_maxrss / 1024, child.returncode  # ru_maxrss is in KiB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="Counted runs (after one warm-up).")
    parser.add_argument("args", nargs="*", default=["--help"], help="CLI arguments.")
    ns = parser.parse_args()
    argv = command(ns.args)
    measure(argv)  # warm-up: file-system cache
    runs = [measure(argv) for _ in range(ns.runs)]
    codes = {code for _, _, code in runs}
    print(f"command: {' '.join(argv)} (exit {', '.join(map(str, sorted(codes)))})")
    print(
        f"wall time: median {statistics.median(s for s, _, _ in runs):.3f} s "
        f"(min {min(s for s, _, _ in runs):.3f}, max {max(s for s, _, _ in runs):.3f}) "
        f"over {ns.runs} runs"
    )
    print(f"peak RSS: median {statistics.median(m for _, m, _ in runs):.1f} MB")


if __name__ == "__main__":
    main()
