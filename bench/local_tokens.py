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
import asyncio
import os
import time
from collections.abc import Sequence

from safetyloop.suites import Message
from safetyloop.targets import GenerateParams, TargetResponse
from safetyloop.targets._local import LocalTarget

# Open-ended prompts, so that greedy decoding rarely stops before max_tokens.
PROMPTS = (
    "Write a detailed story about a lighthouse keeper who finds a message in a bottle.",
    "Explain step by step how a bicycle gear system works.",
    "Describe a busy market in a coastal town in the early morning.",
    "Give a long list of tips for learning to play the piano as an adult.",
    "Explain the water cycle to a curious ten-year-old, with examples.",
    "Write a letter to a friend describing your favourite book and why you love it.",
    "Describe how bread is made, from wheat in the field to a loaf on the table.",
    "Tell the history of the printing press and why it mattered.",
)


def _messages(prompt: str) -> tuple[Message, ...]:
    return (Message(role="user", content=prompt),)


async def _concurrent(
    target: LocalTarget, prompts: Sequence[str], params: GenerateParams
) -> list[TargetResponse]:
    try:
        return list(await asyncio.gather(*(target.generate(_messages(p), params) for p in prompts)))
    finally:
        await target.aclose()


def _tokens(responses: Sequence[TargetResponse]) -> int:
    return sum(r.usage.get("completion_tokens", 0) for r in responses)


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

    t0 = time.perf_counter()
    single = asyncio.run(_concurrent(target, prompts[:1], params))
    single_s = time.perf_counter() - t0
    single_tokens = _tokens(single)
    print(
        f"single:   {single_tokens:4d} tokens in {single_s:6.2f} s = "
        f"{single_tokens / single_s:6.1f} tokens/s"
    )

    t0 = time.perf_counter()
    batched = asyncio.run(_concurrent(target, prompts, params))
    batch_s = time.perf_counter() - t0
    batch_tokens = _tokens(batched)
    print(
        f"batch {args.batch}: {batch_tokens:4d} tokens in {batch_s:6.2f} s = "
        f"{batch_tokens / batch_s:6.1f} tokens/s "
        f"({batch_tokens / batch_s / (single_tokens / single_s):.1f}x single)"
    )


if __name__ == "__main__":
    main()
