"""Responses scored per second on CPU, per scorer, batched.

    python bench/scorers.py [--n 512]

Scores real labelled responses shipped with the package (PyRIT scorer evals): a realistic mix for
the `refusal` cascade, whose lexical gate settles confident rows and embeds only the rest (the
share escalated is printed). `refusal (all embedded)` forces every row through the embedding, the
worst case. The judge is left out: its speed is the judge target's.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace

from safetyloop.scoring import ScoreInput, create_scorer
from safetyloop.scoring._trained import TrainedScorer, cascade_proba
from safetyloop.scoring.training import refusal_examples
from safetyloop.suites import Message


def _report(name: str, n: int, wall: float, cpu: float) -> None:
    """Wall-clock rate, plus CPU seconds used: on a shared machine, CPU s / cores bounds the
    wall time the same work would take with the cores to itself."""
    print(f"{name:22s} {n / wall:10.1f} responses/s  ({n} in {wall:.2f} s wall, {cpu:.2f} CPU s)")


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
        start, cpu = time.perf_counter(), time.process_time()
        scorer.score_batch(items)
        _report(name, len(items), time.perf_counter() - start, time.process_time() - cpu)
    refusal = create_scorer("refusal")
    assert isinstance(refusal, TrainedScorer)
    prompts = [i.messages[0].content for i in items]
    responses = [i.response for i in items]
    _, escalated = cascade_proba(refusal.head, prompts, responses)
    print(f"refusal cascade: {escalated.mean():.1%} of rows escalated to the embedding")
    if refusal.head.gate is not None:
        everything = replace(refusal.head, gate_threshold=1.01)  # no row is that sure
        start, cpu = time.perf_counter(), time.process_time()
        cascade_proba(everything, prompts, responses)
        _report(
            "refusal (all embedded)",
            len(items),
            time.perf_counter() - start,
            time.process_time() - cpu,
        )


if __name__ == "__main__":
    main()
