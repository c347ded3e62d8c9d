"""Reward models as targets: python callables, the HTTP JSON endpoint (loopback server), a
transformers sequence classifier, and the errors each must raise rather than guess."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from tests.reward.reward_server_double import reward_server

from safetyloop.errors import InputError
from safetyloop.reward import RewardError, Scored, audit, load_reward_model

FN = "python:tests.reward.reward_function_doubles"


def test_http_endpoint_scores_in_batches_and_is_audited() -> None:
    with reward_server() as server:
        url = f"http://127.0.0.1:{server.server_port}/reward"
        model = load_reward_model(url)
        items = [Scored("q", "one two three")] * 70
        assert model.score(items) == [3.0] * 70
        assert server.requests == 3  # batches of 32
        report = audit(url, families=["length"], limit=30)
    (result,) = report.families
    assert result.errors == 0 and result.flips == result.pairs == 30  # longer always wins
    assert report.model == url


@pytest.mark.parametrize(
    ("mode", "message"),
    [("500", "HTTP 500"), ("shape", "rewards"), ("count", "2 rewards for 3"), ("nan", "non-")],
)
def test_http_failures_are_reward_errors(mode: str, message: str) -> None:
    with reward_server() as server:
        server.mode = mode
        model = load_reward_model(f"http://127.0.0.1:{server.server_port}/")
        with pytest.raises(RewardError, match=message):
            model.score([Scored("q", "a"), Scored("q", "b c"), Scored("q", "d")])
        report = audit(model, families=["sycophancy"], limit=10)
    assert report.families[0].errors == 10 and report.families[0].flip_rate is None


def test_http_unreachable_is_an_error_not_a_preference() -> None:
    with reward_server() as server:
        port = server.server_port
    report = audit(f"http://127.0.0.1:{port}/", families=["harmful"], limit=6)
    assert report.families[0].errors == 6 and report.families[0].flips == 0


def test_rerank_endpoint_groups_by_prompt_and_reorders_results() -> None:
    with reward_server() as server:
        spec = f"rerank:http://127.0.0.1:{server.server_port}/v1/rerank#bge-reranker"
        model = load_reward_model(spec)
        items = [Scored("q1", "a b c"), Scored("q2", "a"), Scored("q1", "a"), Scored("q1", "a b")]
        assert model.score(items) == [3.0, 1.0, 1.0, 2.0]
        assert server.requests == 2  # one request a prompt
        report = audit(spec, families=["length"], limit=10)
        assert report.families[0].flips == 10
        server.mode = "count"
        with pytest.raises(RewardError, match="ranked 2 of 3"):
            model.score(items)
        server.mode = "500"
        assert audit(spec, families=["length"], limit=5).families[0].errors == 5


def test_vllm_classify_endpoint_reads_one_or_two_classes() -> None:
    with reward_server() as server:
        spec = f"classify:http://127.0.0.1:{server.server_port}/classify#my-rm"
        model = load_reward_model(spec)
        items = [Scored("q1", "a b c"), Scored("q2", "a")]
        assert model.score(items) == pytest.approx([0.75, 0.5])
        assert audit(spec, families=["length"], limit=10).families[0].flips == 10
        server.mode = "two"  # the log-probability of the last class
        assert model.score(items) == pytest.approx([math.log(0.75), math.log(0.5)])
        server.mode = "count"
        with pytest.raises(RewardError, match="classified 1 of 2"):
            model.score(items)
        server.mode = "shape"
        with pytest.raises(RewardError, match="did not answer"):
            model.score(items)
    with pytest.raises(InputError, match="not an http"):
        load_reward_model("classify:localhost:8000/classify")


def test_vllm_pooling_endpoint_takes_the_last_token_reward() -> None:
    with reward_server() as server:
        spec = f"pooling:http://127.0.0.1:{server.server_port}/pooling"
        model = load_reward_model(spec)
        items = [Scored("q1", "a b c"), Scored("q2", "a")]
        assert model.score(items) == [3.0, 1.0]
        assert server.requests == 2  # one conversation a request
        assert audit(spec, families=["length"], limit=10).families[0].flips == 10
        for mode, match in (("nan", "non-finite"), ("shape", "empty reward list")):
            server.mode = mode
            with pytest.raises(RewardError, match=match):
                model.score(items)
        server.mode = "500"
        assert audit(spec, families=["length"], limit=5).families[0].errors == 5


def test_python_pointwise_and_pairwise() -> None:
    longer = load_reward_model(f"{FN}:longer_is_better")
    assert not longer.pairwise and longer.score([Scored("q", "a b")]) == [2.0]
    assert "reward_function_doubles=" in longer.version  # the code's digest
    judge = load_reward_model(f"{FN}:first_slot_judge")
    assert judge.pairwise
    report = audit(judge, families=["position", "harmful"], limit=20)
    position = report.family("position")
    assert position is not None and position.flips == position.pairs  # always the first slot
    harmful = report.family("harmful")
    assert harmful is not None and harmful.flip_rate is not None
    assert 0.2 < harmful.flip_rate.point < 0.8  # shown order is random: about half wrong


def test_pointwise_models_skip_the_position_family() -> None:
    report = audit(f"{FN}:longer_is_better", families=["position", "format"], limit=10)
    assert [f.family for f in report.families] == ["format"]
    assert "position not run" in report.notes[0]


@pytest.mark.parametrize("name", ["broken", "not_a_number"])
def test_python_failures_are_errors(name: str) -> None:
    report = audit(f"{FN}:{name}", families=["sycophancy"], limit=5)
    assert report.families[0].errors == 5


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("nosuchkind:x", "unknown reward-model kind"),
        ("", "empty reward-model spec"),
        ("python:tests.reward.nowhere:f", "cannot import"),
        ("hf:/nonexistent/folder", "no config.json"),
        ("offline:extra", "takes no argument"),
    ],
)
def test_bad_specs_are_input_errors(spec: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        load_reward_model(spec)


@pytest.mark.slow
def test_hf_sequence_classifier(tmp_path: Path) -> None:
    """A tiny randomly initialised BERT head saved locally: loaded and scored offline."""
    import shutil

    import torch
    from transformers import BertConfig, BertForSequenceClassification

    from safetyloop.scoring.encoder import base_model_path

    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=30522,
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        num_labels=1,
    )
    BertForSequenceClassification(config).save_pretrained(tmp_path)
    for name in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt"):
        shutil.copyfile(base_model_path() / name, tmp_path / name)
    model = load_reward_model(f"hf:{tmp_path}")
    first = model.score([Scored("hi", "hello there"), Scored("hi", "go away")])
    assert len(first) == 2 and first[0] != first[1]
    assert model.score([Scored("hi", "hello there")]) == pytest.approx(first[:1], abs=1e-5)
