"""Hostile inputs through every command that reads a file (issue 20's goal: 0 tracebacks, 0 hangs,
100% exit 2 with file:line over at least 500 generated cases).

    python bench/fuzz_inputs.py [--cases 500] [--seconds 20]

Cases are Hypothesis-generated files (`tests/hostile_files.py`: suites, constitutions, incidents,
labels as YAML, JSONL, CSV, JSON, then truncated, deepened, alias-bombed, made undecodable, ...)
plus the hand-written hostile files and arguments, each run through `main()` in process and
bounded in time (the process in memory: 4 GB of address space). Prints the counts; generated
files that happen to be valid (exit 0) are counted apart, and the share exiting 2 with file:line
is over the rest.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hypothesis import HealthCheck, given, settings  # noqa: E402
from tests.cli.invoking import invoke_once  # noqa: E402
from tests.hostile_files import (  # noqa: E402
    HAND_WRITTEN,
    HOSTILE_ARGS,
    HostileFile,
    Outcome,
    hostile_inputs,
    run_case,
)


def _run_file(case: HostileFile, seconds: float) -> Outcome:
    with tempfile.TemporaryDirectory() as folder:
        file = Path(folder) / f"input{case.suffix}"
        file.write_bytes(case.content)
        return run_case(lambda *a: invoke_once(*a, cwd=Path(folder)), case.args, file, seconds)


def _run_args(args: tuple[str, ...], seconds: float) -> Outcome:
    with tempfile.TemporaryDirectory() as folder:
        return run_case(lambda *a: invoke_once(*a, cwd=Path(folder)), args, None, seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=500, help="generated cases (at least)")
    parser.add_argument("--seconds", type=float, default=20.0, help="a slower case is a hang")
    parser.add_argument(
        "--memory-gb", type=float, default=4.0, help="address-space limit of the process (0: none)"
    )
    options = parser.parse_args()
    if options.memory_gb > 0:  # an alias bomb that expanded would end as a MemoryError: counted
        limit = int(options.memory_gb * 1024**3)
        resource.setrlimit(resource.RLIMIT_AS, (limit, resource.getrlimit(resource.RLIMIT_AS)[1]))

    generated: list[Outcome] = []

    @settings(
        max_examples=options.cases,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=hostile_inputs())
    def generate(case: HostileFile) -> None:
        generated.append(_run_file(case, options.seconds))

    started = time.perf_counter()
    while len(generated) < options.cases:
        generate()
    hand = [_run_file(case, options.seconds) for case in HAND_WRITTEN]
    arguments = [_run_args(args, options.seconds) for args in HOSTILE_ARGS]
    elapsed = time.perf_counter() - started

    for label, outcomes in (("generated", generated), ("hand-written", hand)):
        kinds = Counter(outcome.kind for outcome in outcomes)
        rejected = len(outcomes) - kinds["ok"]
        share = kinds["located"] / rejected if rejected else 1.0
        print(
            f"{label}: cases {len(outcomes)}, tracebacks {kinds['traceback']}, "
            f"hangs {kinds['hang']}, valid (exit 0) {kinds['ok']}, "
            f"exit 2 with file:line {kinds['located']}/{rejected} ({share:.1%}), "
            f"exit 2 without {kinds['unlocated']}, other exit codes {kinds['exit']}"
        )
    kinds = Counter(outcome.kind for outcome in arguments)
    print(
        f"hostile arguments: cases {len(arguments)}, tracebacks {kinds['traceback']}, "
        f"hangs {kinds['hang']}, exit 2 {kinds['located']}/{len(arguments)}"
    )
    print(f"{len(generated) + len(hand) + len(arguments)} cases in {elapsed:.0f} s")
    for outcome in [*generated, *hand, *arguments]:
        if outcome.kind not in ("ok", "located"):
            print(f"  {outcome.kind}: {outcome.detail}")


if __name__ == "__main__":
    main()
