"""The bundled HH-RLHF harmless-base preference pairs (Anthropic, MIT; `data/hh_rlhf/`).

Each line holds a `chosen` and a `rejected` conversation that share every turn but the last
assistant answer. A pair is read as (last human turn, chosen answer, rejected answer); the five
lines whose earlier turns differ are skipped, since no one prompt fits both answers. Pairs are
grouped by their first human turn, and the held-out split draws whole groups, so a conversation
never sits on both sides.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from dataclasses import dataclass
from importlib.resources import files

_FILE = "harmless-base-test.jsonl.gz"
_ASSISTANT = "\n\nAssistant:"
_HUMAN = "\n\nHuman:"


@dataclass(frozen=True)
class PreferencePair:
    """A prompt with the answer people chose and the one they rejected."""

    group: str
    prompt: str
    chosen: str
    rejected: str


def _split(text: str) -> tuple[str, str]:
    cut = text.rfind(_ASSISTANT)
    return text[:cut], text[cut + len(_ASSISTANT) :].strip()


def _last_human(context: str) -> str:
    return context[context.rfind(_HUMAN) + len(_HUMAN) :].strip()


def load_pairs() -> list[PreferencePair]:
    """Every usable pair, in file order."""
    raw = (files("safetyloop.reward") / "data" / "hh_rlhf" / _FILE).read_bytes()
    out = []
    for line in gzip.decompress(raw).decode("utf-8").splitlines():
        row = json.loads(line)
        context, chosen = _split(row["chosen"])
        other, rejected = _split(row["rejected"])
        if context != other:
            continue
        first = context.split(_ASSISTANT, 1)[0]
        out.append(PreferencePair(first.strip(), _last_human(context), chosen, rejected))
    return out


def held_out(pair: PreferencePair, share: float) -> bool:
    """Whether the pair's group falls in the held-out `share` (a hash, so no seed can move it)."""
    digest = hashlib.sha256(pair.group.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < share


def data_sha256() -> str:
    """The bundled file's digest, recorded with the weights trained on it."""
    raw = (files("safetyloop.reward") / "data" / "hh_rlhf" / _FILE).read_bytes()
    return hashlib.sha256(raw).hexdigest()
