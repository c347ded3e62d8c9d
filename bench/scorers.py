"""Responses scored per second on CPU, per scorer, batched.

    python bench/scorers.py [--n 512] [--repeat 3]

Scores real labelled responses shipped with the package (XSTest completions, PyRIT scorer evals,
spread evenly over the sources): a realistic mix for the cascades, whose lexical gate settles
the rows it is sure of and sends only the rest through the cross-encoder (the share escalated is
printed). `(all escalated)` forces every row through the cross-encoder, the worst case. The
judge is left out: its speed is the judge target's.

Each figure is the median of `--repeat` timed runs. The load average is printed with them: on a
shared machine other processes take cores, and the rates fall with it. The cross-encoder uses as
many threads as the load leaves idle (`SAFETYLOOP_EMBED_THREADS=N` fixes it).
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
from safetyloop.scoring._features import embed_threads
from safetyloop.scoring._trained import TrainedScorer, cascade_proba
from safetyloop.scoring.training import harm_examples, refusal_examples
from safetyloop.scoring.training._data import Example
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
        f"{name:26s} {n / wall:10.1f} responses/s  "
        f"({n} in {wall:.2f} s wall, {cpu_s:.2f} CPU s; best {n / min(walls):.1f}/s)"
    )


def _spread(examples: list[Example], n: int) -> list[ScoreInput]:
    step = max(1, len(examples) // n)
    picked = (examples[::step] * (n // len(examples) + 1))[:n]
    return [
        ScoreInput(messages=(Message(role="user", content=e.prompt),), response=e.response)
        for e in picked
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=512)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    mixes = {
        "refusal": _spread(refusal_examples(), args.n),
        "harm": _spread(harm_examples(), args.n),
    }
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    print(f"{os.cpu_count()} CPUs, load average {load}; cross-encoder threads {embed_threads()}")
    for name, mix in (("refusal_keyword", "refusal"), ("refusal", "refusal"), ("harm", "harm")):
        items = mixes[mix]
        scorer = create_scorer(name)
        scorer.score_batch(items[:8])  # load the model outside the timing
        _time(name, len(items), partial(scorer.score_batch, items), args.repeat)
    for name in ("refusal", "harm"):
        scorer = create_scorer(name)
        assert isinstance(scorer, TrainedScorer)
        items = mixes[name]
        prompts = [i.messages[0].content for i in items]
        responses = [i.response for i in items]
        _, escalated = cascade_proba(scorer.cascade, prompts, responses)
        print(
            f"{name} cascade: gate threshold {scorer.cascade.threshold}, "
            f"{escalated.mean():.1%} of rows escalated to the cross-encoder"
        )
        everything = replace(scorer.cascade, threshold=1.01)  # no row is that sure
        _time(
            f"{name} (all escalated)",
            len(items),
            partial(cascade_proba, everything, prompts, responses),
            args.repeat,
        )
    print(f"load average after: {', '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
