"""Tokens per second of the embedded `local` target: one prompt alone, then a batch of 8.

Why: the local target's batcher exists because one left-padded `generate` over several
conversations is much faster per token than the same conversations one at a time on CPU. This
measures that claim on the machine at hand (load time too, since every run pays it once).

    HF_HUB_OFFLINE=1 .venv/bin/python bench/local_tokens.py [--max-tokens 64] [--batch 8]

The batch goes through concurrent `generate` calls, exactly as the runner drives the target, so
it also measures the batcher's overhead. Tokens are counted from `usage.completion_tokens`
(padding after an early stop is not counted). Results depend heavily on other load on the CPU.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _tokens import PROMPTS, timed_round
from safetyloop.targets import GenerateParams
from safetyloop.targets._local import LocalTarget


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    params = GenerateParams(max_tokens=args.max_tokens)
    prompts = [PROMPTS[i % len(PROMPTS)] for i in range(args.batch)]

    t0 = time.perf_counter()
    target = LocalTarget("local", {"batch_size": args.batch, "threads": args.threads})
    # Loads the model (lazily) and runs one token, so the timed runs below start warm.
    target.generate_batch([[{"role": "user", "content": "Hi"}]], GenerateParams(max_tokens=1))
    load_s = time.perf_counter() - t0
    print(
        f"load (incl. 1-token warm-up): {load_s:.1f} s  "
        f"[threads={args.threads}, cpus={os.cpu_count()}]"
    )

    single = timed_round("single:", target, prompts[:1], params)
    batched = timed_round(f"batch {args.batch}:", target, prompts, params)
    print(f"batching speed-up: {batched / single:.1f}x single")


if __name__ == "__main__":
    main()
