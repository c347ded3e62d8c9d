"""How long does the demo take? Times `safetyloop run` + `safetyloop gate` as `make demo` runs
them, in a fresh temporary project folder (so nothing comes from the response cache).

    .venv/bin/python bench/demo_time.py      # the Makefile's sizes: 60 per suite, 64 tokens
    .venv/bin/python bench/demo_time.py --sample 40 --max-tokens 48
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _safetyloop() -> str:
    beside = Path(sys.executable).with_name("safetyloop")
    return str(beside) if beside.exists() else shutil.which("safetyloop") or "safetyloop"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, default=60)
    parser.add_argument("--max-tokens", type=int, default=64)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        subprocess.run(
            [
                _safetyloop(),
                "run",
                "--target",
                "local",
                "--sample",
                str(args.sample),
                "--max-tokens",
                str(args.max_tokens),
            ],
            cwd=folder,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        ran = time.perf_counter() - started
        gate = subprocess.run(
            [_safetyloop(), "gate", "latest", "--json"], cwd=folder, capture_output=True, text=True
        )
        total = time.perf_counter() - started
    decision = json.loads(gate.stdout)["decision"]
    print(f"demo: sample {args.sample} per suite, {args.max_tokens} tokens per answer")
    print(f"  run (model load, generation, scoring, store): {ran:7.1f} s")
    print(f"  run + gate:                                    {total:7.1f} s  (decision {decision})")


if __name__ == "__main__":
    main()
