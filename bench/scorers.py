"""Responses scored per second on CPU, per scorer, batched.

    python bench/scorers.py [--n 512]

Scores real labelled responses shipped with the package (PyRIT scorer evals). The judge is left
out: its speed is the judge target's.
"""

from __future__ import annotations

import argparse
import time

from safetyloop.scoring import ScoreInput, create_scorer
from safetyloop.scoring.training import refusal_examples
from safetyloop.suites import Message


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=512)
    args = parser.parse_args()
    examples = refusal_examples()
    items = [
        ScoreInput(messages=(Message(role="user", content=e.prompt),), response=e.response)
        for e in (examples * (args.n // len(examples) + 1))[: args.n]
    ]
    for name in ("refusal_keyword", "refusal", "harm"):
        scorer = create_scorer(name)
        scorer.score_batch(items[:8])  # load the model outside the timing
        start = time.perf_counter()
        scorer.score_batch(items)
        elapsed = time.perf_counter() - start
        rate = len(items) / elapsed
        print(f"{name:16s} {rate:10.1f} responses/s  ({len(items)} in {elapsed:.2f} s)")


if __name__ == "__main__":
    main()
