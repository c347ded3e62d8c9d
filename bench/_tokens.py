"""Shared by the token benches: open-ended prompts and one timed round of concurrent requests."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

from safetyloop.suites import Message
from safetyloop.targets import GenerateParams, Target, TargetResponse

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


async def _gather(
    target: Target, prompts: Sequence[str], params: GenerateParams
) -> list[TargetResponse]:
    # Closing after each round unbinds the target from this event loop (asyncio.run makes a new
    # one per round); both targets reopen lazily.
    try:
        calls = (target.generate((Message(role="user", content=p),), params) for p in prompts)
        return list(await asyncio.gather(*calls))
    finally:
        await target.aclose()


def run_round(target: Target, prompts: Sequence[str], params: GenerateParams) -> None:
    """Send `prompts` concurrently, untimed (a warm-up)."""
    asyncio.run(_gather(target, prompts, params))


def timed_round(
    label: str, target: Target, prompts: Sequence[str], params: GenerateParams
) -> float:
    """Send `prompts` concurrently; print and return completion tokens per second."""
    started = time.perf_counter()
    responses = asyncio.run(_gather(target, prompts, params))
    seconds = time.perf_counter() - started
    tokens = sum(r.usage.get("completion_tokens", 0) for r in responses)
    rate = tokens / seconds
    print(f"{label:<14} {tokens:4d} tokens in {seconds:6.2f} s = {rate:6.1f} tokens/s")
    return rate
