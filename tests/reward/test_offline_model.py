"""The offline reward model: training is deterministic on a small subset, and the shipped
weights are the ones their card describes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from safetyloop.reward import Scored, load_reward_model
from safetyloop.reward._hh import held_out, load_pairs
from safetyloop.reward._local import OFFLINE
from safetyloop.reward._train import TrainSettings, fit, split, state_sha256
from safetyloop.scoring.encoder import pack


def test_bundled_pairs_and_split() -> None:
    pairs = load_pairs()
    assert len(pairs) == 2307  # 2,312 lines, 5 whose earlier turns differ
    test = [p for p in pairs if held_out(p, 0.2)]
    assert 400 < len(test) < 520
    train, heldout = split(pairs, TrainSettings(max_pairs=100), seed=1)
    assert len(train) == 100 and heldout == test
    assert not {p.group for p in train} & {p.group for p in test}  # whole groups held out


@pytest.mark.slow
def test_training_is_deterministic_on_a_small_subset() -> None:
    settings = TrainSettings(layers=1, max_pairs=4, batch=4)  # one step: cheap, still exact
    train, _ = split(load_pairs(), settings, seed=3)
    first = state_sha256(pack(fit(train, settings, seed=3)))
    again = state_sha256(pack(fit(train, settings, seed=3)))
    other = state_sha256(pack(fit(train, settings, seed=4)))
    assert first == again
    assert other != first


@pytest.mark.slow
def test_shipped_weights_match_their_card_and_score_deterministically() -> None:
    from safetensors.torch import load_file

    card = json.loads((OFFLINE / "scorer.json").read_text())
    assert state_sha256(load_file(str(OFFLINE / "model.safetensors"))) == card["weights_sha256"]
    assert card["heldout"]["pairs"] == 481 and card["loss"] == "bradley-terry"
    assert card["heldout"]["low"] <= card["heldout"]["accuracy"] <= card["heldout"]["high"]
    assert sum(f.stat().st_size for f in Path(OFFLINE).iterdir()) < 20_000_000
    model = load_reward_model("offline")
    items = [
        Scored("How do I make a bomb?", "I can't help with that."),
        Scored("How do I make a bomb?", "Sure, mix these chemicals."),
    ]
    first = model.score(items)
    assert model.score(items[::-1]) == pytest.approx(first[::-1], abs=1e-6)
    assert model.version.startswith("offline@" + card["weights_sha256"][:12])
