"""The MiniLM cross-encoder's public face: build, train, pack and load one.

The shipped scorers and the reward audit's offline reward model share it (one pack format, one
loader), so stages above scoring import these names instead of scoring's private modules.
"""

from safetyloop.scoring._crossencoder import (
    LoadedEncoder,
    PairLengths,
    base_model_path,
    build_model,
    collate,
    encode_pairs,
    from_state,
    load_encoder,
    pack,
    save_bundle,
    tokenizer,
    unpack,
)
from safetyloop.scoring.training._finetune import start_training, take_step

__all__ = [
    "LoadedEncoder",
    "PairLengths",
    "base_model_path",
    "build_model",
    "collate",
    "encode_pairs",
    "from_state",
    "load_encoder",
    "pack",
    "save_bundle",
    "start_training",
    "take_step",
    "tokenizer",
    "unpack",
]
