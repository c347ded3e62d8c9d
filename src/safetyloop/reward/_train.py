"""`safetyloop reward train`: a MiniLM cross-encoder reward model, Bradley–Terry on HH-RLHF.

The model reads `[CLS] prompt [SEP] answer [SEP]` and gives one logit; the loss is
`-log σ(r(chosen) - r(rejected))` over the bundled harmless-base pairs left after the held-out
split. Training is seeded and deterministic on CPU (one torch thread, deterministic algorithms,
batch order from a seeded generator): same data, settings and seed give the same weights byte
for byte on the same machine. Held-out pairwise accuracy is measured on the packed (int8)
weights, i.e. the very model that ships.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from safetyloop.reward._hh import PreferencePair, data_sha256, held_out, load_pairs
from safetyloop.reward._local import rewards
from safetyloop.reward._model import Scored
from safetyloop.scoring.encoder import (
    PairLengths,
    base_model_path,
    collate,
    encode_pairs,
    from_state,
    pack,
    save_bundle,
    start_training,
    take_step,
    tokenizer,
    unpack,
)
from safetyloop.stats import wilson


@dataclass(frozen=True)
class TrainSettings:
    """Fixed before training (nothing tuned on held-out figures).

    Attributes:
        lengths: wordpiece tokens read: the prompt's opening, the whole pair at most.
        layers: MiniLM layers kept (of 6): fewer train faster on two busy cores.
        epochs: passes over the training pairs.
        max_pairs: training pairs used (a seeded subsample; 0 for all), to bound the time.
        holdout: share of prompt groups held out (by hash of the first human turn).
        lr: peak AdamW learning rate (linear warm-up over the first tenth, then decay).
        batch: pairs per step.
        weight_decay: AdamW weight decay.
    """

    lengths: PairLengths = field(default_factory=lambda: PairLengths(prompt=32, total=128))
    layers: int = 2
    epochs: int = 1
    max_pairs: int = 0
    holdout: float = 0.2
    lr: float = 5e-5
    batch: int = 16
    weight_decay: float = 0.01


@dataclass(frozen=True)
class TrainReport:
    """What training did and how well the shipped weights rank held-out pairs."""

    train_pairs: int
    heldout_pairs: int
    heldout_accuracy: float
    heldout_low: float
    heldout_high: float
    seconds: float
    weights_sha256: str


def split(
    pairs: Sequence[PreferencePair], settings: TrainSettings, seed: int
) -> tuple[list[PreferencePair], list[PreferencePair]]:
    """(training pairs, held-out pairs): held-out by group hash; training subsampled by seed."""
    test = [p for p in pairs if held_out(p, settings.holdout)]
    train = [p for p in pairs if not held_out(p, settings.holdout)]
    if settings.max_pairs and settings.max_pairs < len(train):
        keep = np.random.default_rng(seed).choice(len(train), settings.max_pairs, replace=False)
        train = [train[i] for i in sorted(keep.tolist())]
    return train, test


def fit(
    pairs: Sequence[PreferencePair],
    settings: TrainSettings,
    seed: int,
    log: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """The trained model's float32 state dict (Bradley–Terry loss, word embeddings frozen)."""
    import torch

    previous = (torch.get_num_threads(), torch.are_deterministic_algorithms_enabled())
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    try:
        torch.manual_seed(seed)
        n = len(pairs)
        model, tok, params, optimiser, schedule = start_training(
            1,
            settings.layers,
            settings.lr,
            settings.weight_decay,
            settings.epochs * math.ceil(n / settings.batch),
        )
        prompts = [p.prompt for p in pairs]
        good = encode_pairs(tok, prompts, [p.chosen for p in pairs], settings.lengths)
        bad = encode_pairs(tok, prompts, [p.rejected for p in pairs], settings.lengths)
        rng = np.random.default_rng(seed)
        model.train()
        for epoch in range(settings.epochs):
            order = rng.permutation(n)
            total = 0.0
            for start in range(0, n, settings.batch):
                index = order[start : start + settings.batch].tolist()
                logits = model(*collate([good[i] for i in index] + [bad[i] for i in index]))
                margin = logits[: len(index), 0] - logits[len(index) :, 0]
                loss = -torch.nn.functional.logsigmoid(margin).mean()
                total += take_step(loss, params, optimiser, schedule) * len(index)
            if log is not None:
                log(f"epoch {epoch + 1}/{settings.epochs}: Bradley-Terry loss {total / n:.4f}")
        model.eval()
        return {k: v.detach().clone() for k, v in model.state_dict().items()}
    finally:
        torch.set_num_threads(previous[0])
        torch.use_deterministic_algorithms(previous[1])


def pairwise_accuracy(
    state: dict[str, Any], settings: TrainSettings, pairs: Sequence[PreferencePair]
) -> tuple[int, int]:
    """(pairs where the chosen answer gets the higher reward, pairs) for a packed state."""
    base = base_model_path()
    model = from_state(base, unpack(pack(state)), 1)
    tok = tokenizer(base)
    items = [Scored(p.prompt, p.chosen) for p in pairs] + [
        Scored(p.prompt, p.rejected) for p in pairs
    ]
    r = rewards(model, tok, settings.lengths, items)
    n = len(pairs)
    return sum(r[i] > r[n + i] for i in range(n)), n


def train(
    out: Path, settings: TrainSettings, seed: int = 0, log: Callable[[str], None] | None = None
) -> TrainReport:
    """Train, measure on the held-out pairs and write the bundle (weights, tokenizer, card)."""
    started = time.monotonic()
    train_pairs, test_pairs = split(load_pairs(), settings, seed)
    if log is not None:
        log(f"training on {len(train_pairs)} pairs, {len(test_pairs)} held out")
    state = fit(train_pairs, settings, seed, log)
    wins, n = pairwise_accuracy(state, settings, test_pairs)
    acc = wilson(wins, n)
    packed = pack(state)
    digest = state_sha256(packed)
    report = TrainReport(
        len(train_pairs), n, acc.point, acc.low, acc.high, time.monotonic() - started, digest
    )
    meta = {
        "kind": "reward",
        "loss": "bradley-terry",
        "data": "hh-rlhf harmless-base (Anthropic, MIT)",
        "data_sha256": data_sha256(),
        "seed": seed,
        "settings": {**asdict(settings), "lengths": asdict(settings.lengths)},
        "lengths": asdict(settings.lengths),
        "weights_sha256": digest,
        "heldout": {
            "wins": wins,
            "pairs": n,
            "accuracy": acc.point,
            "low": acc.low,
            "high": acc.high,
            "interval": acc.method,
        },
        "train_pairs": len(train_pairs),
    }
    save_bundle(packed, settings.layers, out, meta)
    return report


def state_sha256(packed: dict[str, Any]) -> str:
    """A digest of the packed tensors' bytes, in name order (the file's own bytes add headers)."""
    h = hashlib.sha256()
    for name in sorted(packed):
        h.update(name.encode("utf-8"))
        h.update(packed[name].contiguous().numpy().tobytes())
    return h.hexdigest()


def card(report: TrainReport) -> str:
    """One line for the terminal."""
    return json.dumps(asdict(report))
