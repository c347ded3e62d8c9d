"""Local reward models: `hf:PATH` (transformers) and `offline` (the bundled MiniLM one).

`hf:PATH` loads any sequence-classification folder (`AutoModelForSequenceClassification`,
offline only). The reward is the single logit of a one-label head, else the log-probability of
the last label (the "good" class by convention of two-label reward heads). The prompt and the
response are read as a text pair, so any BERT-like or decoder head works without a template.

`offline` is the cross-encoder `safetyloop reward train` fits on HH-RLHF harmless-base and the
package ships (`reward/weights/hh-minilm`); `minilm:PATH` loads one trained elsewhere.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from importlib.resources import files
from pathlib import Path
from typing import Any

from safetyloop.errors import InputError
from safetyloop.reward._model import RewardModel, Scored, checked, reward_kind

#: The shipped offline reward model's folder.
OFFLINE = Path(str(files("safetyloop.reward") / "weights" / "hh-minilm"))
#: Items per forward pass.
BATCH = 32


class HfReward(RewardModel):
    """A transformers sequence classifier read as a reward model."""

    kind = "hf"

    def __init__(self, path: str) -> None:
        super().__init__(f"hf:{path}")
        folder = Path(path).expanduser()
        if not (folder / "config.json").is_file():
            raise InputError(f"{folder}: no config.json (not a transformers model folder)")
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        self._tok = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
        self._model = AutoModelForSequenceClassification.from_pretrained(
            str(folder), local_files_only=True
        ).eval()
        self._folder = folder

    def score(self, items: Sequence[Scored]) -> list[float]:
        import torch

        out: list[float] = []
        with torch.inference_mode():
            for start in range(0, len(items), BATCH):
                chunk = items[start : start + BATCH]
                enc = self._tok(
                    [i.prompt for i in chunk],
                    [i.response for i in chunk],
                    truncation=True,
                    max_length=512,
                    padding=True,
                    return_tensors="pt",
                )
                logits = self._model(**enc).logits.float()
                if logits.shape[-1] == 1:
                    values = logits[:, 0]
                else:
                    values = torch.log_softmax(logits, dim=-1)[:, -1]
                out.extend(float(v) for v in values)
        return checked(out, len(items), self.spec)


class MiniLMReward(RewardModel):
    """The project's cross-encoder reward model: one logit over `[CLS] prompt [SEP] response`."""

    kind = "minilm"

    def __init__(self, spec: str, folder: Path) -> None:
        super().__init__(spec)
        if not (folder / "scorer.json").is_file():
            raise InputError(
                f"{folder}: no trained reward model there",
                hint="train one with `safetyloop reward train`",
            )
        from safetyloop.scoring.encoder import PairLengths, load_encoder

        self.meta: dict[str, Any] = json.loads((folder / "scorer.json").read_text("utf-8"))
        lengths = PairLengths(**self.meta["lengths"])
        self._encoder = load_encoder(folder, 1, lengths)

    def score(self, items: Sequence[Scored]) -> list[float]:
        return checked(
            rewards(self._encoder.model, self._encoder.tok, self._encoder.lengths, items),
            len(items),
            self.spec,
        )

    @property
    def version(self) -> str:
        return f"{self.spec}@{self.meta.get('weights_sha256', '')[:12]}"


def rewards(model: Any, tok: Any, lengths: Any, items: Sequence[Scored]) -> list[float]:
    """The cross-encoder's logit for each item, scored in length order so batches pad little."""
    import torch

    from safetyloop.scoring.encoder import collate, encode_pairs

    rows = encode_pairs(tok, [i.prompt for i in items], [i.response for i in items], lengths)
    order = sorted(range(len(rows)), key=lambda i: len(rows[i][0]))
    out = [0.0] * len(rows)
    with torch.inference_mode():
        for start in range(0, len(order), BATCH):
            index = order[start : start + BATCH]
            logits = model(*collate([rows[i] for i in index]))[:, 0].float()
            for i, value in zip(index, logits.tolist(), strict=True):
                out[i] = float(value)
    return out


@reward_kind("hf")
def _hf(rest: str) -> RewardModel:
    return HfReward(rest)


@reward_kind("offline")
def _offline(rest: str) -> RewardModel:
    if rest:
        raise InputError(f"'offline' takes no argument, got 'offline:{rest}'")
    return MiniLMReward("offline", OFFLINE)


@reward_kind("minilm")
def _minilm(rest: str) -> RewardModel:
    return MiniLMReward(f"minilm:{rest}", Path(rest).expanduser())
