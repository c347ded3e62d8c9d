"""Fine-tune the cross-encoder end to end on CPU, seeded and deterministic.

Same data, settings and seed give the same weights, byte for byte, on the same machine: the
torch thread count is fixed while training (sums must not depend on the machine's load),
`torch.use_deterministic_algorithms` is on, and the batch order comes from a seeded generator.
One thread per fit: on a shared machine two threads wait for each other at every layer
(measured under load 9-11 on 2 cores: 1.7 rows/s with one thread, 0.9 with two), and the
folds run as parallel processes instead.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from safetyloop.scoring._crossencoder import (
    PairLengths,
    base_model_path,
    build_model,
    collate,
    join_pair,
    tokenize_texts,
    tokenizer,
)

#: Torch threads while training: fixed, so the weights do not depend on the machine's load.
TRAIN_THREADS = 1


@dataclass(frozen=True)
class FinetuneSettings:
    """Fixed a priori (nothing here is tuned to held-out figures).

    Attributes:
        layers: MiniLM layers kept (of 6): fewer is faster, to meet the speed goals.
        epochs: Passes over the training rows.
        lr: Peak AdamW learning rate (linear warm-up over the first tenth, then linear decay).
        batch: Rows per step.
        weight_decay: AdamW weight decay.
        prompt_swap: Share of rows, drawn afresh each epoch, whose prompt is replaced by a
            random other training row's. The same prompts come back with every model's
            answer, so a model can learn "this prompt, this verdict" instead of reading the
            response; swapping breaks that link (see docs/scorers.md).
    """

    lengths: PairLengths = field(default_factory=PairLengths)
    layers: int = 2
    epochs: int = 2
    lr: float = 1e-4
    batch: int = 16
    weight_decay: float = 0.01
    prompt_swap: float = 0.5


def start_training(
    n_labels: int, layers: int, lr: float, weight_decay: float, steps: int
) -> tuple[Any, Any, list[Any], Any, Any]:
    """A fresh cross-encoder on the bundled MiniLM (word embeddings frozen: few rows, many
    words), its tokenizer, trainable parameters, AdamW and the schedule (linear warm-up over
    the first tenth of `steps`, then linear decay). Call after seeding torch."""
    import torch

    base = base_model_path()
    model = build_model(base, n_labels, layers)
    model.bert.embeddings.word_embeddings.weight.requires_grad_(False)
    params = [p for p in model.parameters() if p.requires_grad]
    optimiser = torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)
    warmup = max(1, steps // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser,
        lambda s: min((s + 1) / warmup, max(0.0, (steps - s) / max(1, steps - warmup))),
    )
    return model, tokenizer(base), params, optimiser, schedule


def take_step(loss: Any, params: list[Any], optimiser: Any, schedule: Any) -> float:
    """One optimiser step on `loss` (gradients clipped to norm 1); the loss as a float."""
    import torch

    loss.backward()
    torch.nn.utils.clip_grad_norm_(params, 1.0)
    optimiser.step()
    schedule.step()
    optimiser.zero_grad()
    return float(loss.detach())


def finetune(
    prompts: Sequence[str],
    responses: Sequence[str],
    labels: Sequence[int],
    n_labels: int,
    settings: FinetuneSettings,
    seed: int,
    log: Any = None,
) -> Any:
    """A `CrossEncoder` fine-tuned on the rows (word embeddings frozen: few rows, many words)."""
    import torch

    previous = (torch.get_num_threads(), torch.are_deterministic_algorithms_enabled())
    torch.set_num_threads(TRAIN_THREADS)
    torch.use_deterministic_algorithms(True)
    try:
        torch.manual_seed(seed)
        n = len(responses)
        model, tok, params, optimiser, schedule = start_training(
            n_labels,
            settings.layers,
            settings.lr,
            settings.weight_decay,
            settings.epochs * math.ceil(n / settings.batch),
        )
        p_ids = tokenize_texts(tok, prompts, settings.lengths.prompt)
        r_ids = tokenize_texts(tok, responses, settings.lengths.total)
        y = torch.tensor(list(labels), dtype=torch.long)
        rng = np.random.default_rng(seed)
        model.train()
        step = 0
        for epoch in range(settings.epochs):
            order = rng.permutation(n)
            swap = rng.random(n) < settings.prompt_swap
            other = rng.integers(0, n, size=n)
            rows = [
                join_pair(tok, p_ids[other[i]] if swap[i] else p_ids[i], r_ids[i], settings.lengths)
                for i in range(n)
            ]
            total = 0.0
            for start in range(0, len(order), settings.batch):
                index = order[start : start + settings.batch].tolist()
                logits = model(*collate([rows[i] for i in index]))
                loss = torch.nn.functional.cross_entropy(logits, y[index])
                total += take_step(loss, params, optimiser, schedule) * len(index)
                step += 1
            if log is not None:
                log(f"epoch {epoch + 1}/{settings.epochs}: loss {total / n:.4f}")
        model.eval()
        return model
    finally:
        torch.set_num_threads(previous[0])
        torch.use_deterministic_algorithms(previous[1])
