"""Run the statistics self-check at full size and time it.

    .venv/bin/python bench/stats_selfcheck.py               # 2000 simulations, seed 0
    .venv/bin/python bench/stats_selfcheck.py --n-sims 10000 --seed 3

Prints the three figures against their bounds (A/A false-BLOCK rate, Wilson coverage, detection
of a planted regression at the planned size) and exits 1 if any bound is missed.
"""

from __future__ import annotations

import argparse
import sys
import time

from safetyloop.stats import selfcheck


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-sims", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    start = time.perf_counter()
    r = selfcheck(n_sims=args.n_sims, seed=args.seed)
    elapsed = time.perf_counter() - start
    rows = [
        ("A/A false-BLOCK rate", r.false_block_rate, "<=", r.false_block_bound, r.false_block_ok),
        ("95% Wilson coverage", r.coverage, ">=", r.coverage_bound, r.coverage_ok),
        ("planted-regression detection", r.detection_rate, ">=", r.detection_bound, r.detection_ok),
    ]
    for name, value, op, bound, ok in rows:
        print(f"{name:<30} {value:.4f} {op} {bound:.4f}  {'ok' if ok else 'MISSED'}")
    print(
        f"(exact mean coverage {r.coverage_exact:.4f}; planned n per arm {r.planned_n} "
        f"for power {r.planned_power}; {args.n_sims} sims, seed {args.seed}, {elapsed:.2f} s)"
    )
    return 0 if r.ok else 1


if __name__ == "__main__":
    sys.exit(main())
