"""How close does `safetyloop run` come to what the network allows, end to end, as a whole process?

One loopback stub server (its own process, 50 ms per answer) serves two clients in turn, each
timed as a whole process from start to exit: a bare aiohttp client sending N chat completions
with 64 in flight (the network's limit here), and `safetyloop run` (answer, score, store) on a
generated N-case user suite with the same concurrency. Prints requests/s, cases/s and the ratio
(the goal in issue 18 is at least 0.6x on 1,931 cases).

    .venv/bin/python bench/throughput.py                       # N=1931, 64 in flight, 50 ms
    .venv/bin/python bench/throughput.py --profile run.prof    # the run under cProfile as well
"""

from __future__ import annotations

import argparse
import asyncio
import pstats
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # for bench.* when run as a plain script

from memory_100k import cli_run, write_suite  # noqa: E402
from runner_overhead import stub_url  # noqa: E402


async def bare_client(base_url: str, n: int, in_flight: int) -> int:
    """Send `n` distinct chat completions, `in_flight` at a time; the number answered 200."""
    import aiohttp

    limit = asyncio.Semaphore(in_flight)
    connector = aiohttp.TCPConnector(limit=in_flight)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def one(i: int) -> bool:
            body = {
                "model": "bench",
                "messages": [{"role": "user", "content": f"memory benchmark prompt number {i}"}],
                "max_tokens": 128,
            }
            async with limit, session.post(f"{base_url}/chat/completions", json=body) as reply:
                await reply.json()
                return reply.status == 200

        return sum(await asyncio.gather(*(one(i) for i in range(n))))


def timed(command: list[str], **kwargs: object) -> tuple[float, subprocess.CompletedProcess[str]]:
    """Wall seconds of a whole process, start to exit."""
    started = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, **kwargs)  # type: ignore[call-overload]
    return time.monotonic() - started, done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--n", type=int, default=1931)
    parser.add_argument("--in-flight", type=int, default=64)
    parser.add_argument("--delay", type=float, default=0.05, help="seconds per answer")
    parser.add_argument("--profile", type=Path, default=None, help="cProfile output of the run")
    parser.add_argument("--client", default=None, help=argparse.SUPPRESS)  # the bare client
    args = parser.parse_args()
    if args.client:
        answered = asyncio.run(bare_client(args.client, args.n, args.in_flight))
        sys.exit(0 if answered == args.n else 1)
    with stub_url(True, args.delay) as base_url, tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        bare_s, bare = timed(
            [sys.executable, __file__, "--client", base_url, "--n", str(args.n),
             "--in-flight", str(args.in_flight)]
        )  # fmt: skip
        if bare.returncode != 0:
            sys.exit(f"bare client failed:\n{bare.stderr[-2000:]}")
        write_suite(folder / "big.jsonl", args.n)
        command, env = cli_run(folder, base_url, args.in_flight)
        profile = ["-m", "cProfile", "-o", str(args.profile.resolve())] if args.profile else []
        run_s, run = timed([sys.executable, *profile, *command], cwd=folder, env=env)
        if run.returncode != 0:
            sys.exit(f"safetyloop run failed ({run.returncode}):\n{run.stdout[-2000:]}")
    bare_rate, run_rate = args.n / bare_s, args.n / run_s
    print(f"{args.n:,} requests, {args.in_flight} in flight, {args.delay * 1000:.0f} ms per answer")
    print(f"bare aiohttp client : {bare_s:6.2f} s  {bare_rate:7.1f} requests/s (whole process)")
    print(f"safetyloop run      : {run_s:6.2f} s  {run_rate:7.1f} cases/s (whole process)")
    print(f"ratio               : {run_rate / bare_rate:.2f}x (goal >= 0.6x)")
    if args.profile:
        print(f"\ntop costs of the run (own time), from {args.profile}:")
        pstats.Stats(str(args.profile)).sort_stats("tottime").print_stats(20)


if __name__ == "__main__":
    main()
