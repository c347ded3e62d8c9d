"""Responses scored per second on CPU, per scorer, batched.

    python bench/scorers.py [--n 512] [--repeat 3]

Scores real labelled responses shipped with the package (PyRIT scorer evals): a realistic mix for
the `refusal` cascade, whose lexical gate settles confident rows and embeds only the rest (the
share escalated is printed). `refusal (all embedded)` forces every row through the embedding, the
worst case. The judge is left out: its speed is the judge target's.

Each figure is the median of `--repeat` timed runs. The load average is printed with them: on a
shared machine other processes take cores, and the rates fall with it. The embedding runs in
bfloat16 where the CPU has it natively; `SAFETYLOOP_EMBED_FLOAT32=1` measures float32.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import replace
from functools import partial

from safetyloop.scoring import ScoreInput, create_scorer
from safetyloop.scoring._features import native_bf16
from safetyloop.scoring._trained import TrainedScorer, cascade_proba
from safetyloop.scoring.training import refusal_examples
from safetyloop.suites import Message


def _time(name: str, n: int, work: Callable[[], object], repeat: int) -> None:
    """Median wall-clock rate over `repeat` runs, plus CPU seconds per run: on a shared
    machine, CPU s / cores bounds the wall time the same work would take with the cores to
    itself."""
    walls, cpus = [], []
    for _ in range(repeat):
        start, cpu = time.perf_counter(), time.process_time()
        work()
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu)
    wall, cpu_s = statistics.median(walls), statistics.median(cpus)
    print(
        f"{name:22s} {n / wall:10.1f} responses/s  "
        f"({n} in {wall:.2f} s wall, {cpu_s:.2f} CPU s; best {n / min(walls):.1f}/s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=512)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    examples = refusal_examples()
    items = [
        ScoreInput(messages=(Message(role="user", content=e.prompt),), response=e.response)
        for e in (examples * (args.n // len(examples) + 1))[: args.n]
    ]
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    print(
        f"{os.cpu_count()} CPUs, load average {load}; embedding in "
        f"{'bfloat16' if native_bf16() else 'float32'}"
    )
    for name in ("refusal_keyword", "refusal", "harm"):
        scorer = create_scorer(name)
        scorer.score_batch(items[:8])  # load the model outside the timing
        _time(name, len(items), partial(scorer.score_batch, items), args.repeat)
    refusal = create_scorer("refusal")
    assert isinstance(refusal, TrainedScorer)
    prompts = [i.messages[0].content for i in items]
    responses = [i.response for i in items]
    _, escalated = cascade_proba(refusal.head, prompts, responses)
    print(f"refusal cascade: {escalated.mean():.1%} of rows escalated to the embedding")
    if refusal.head.gate is not None:
        everything = replace(refusal.head, gate_threshold=1.01)  # no row is that sure
        _time(
            "refusal (all embedded)",
            len(items),
            partial(cascade_proba, everything, prompts, responses),
            args.repeat,
        )
    print(f"load average after: {', '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
