"""vLLM's pooling endpoints as reward models: `classify:URL[#MODEL]` and `pooling:URL[#MODEL]`.

`classify:` POSTs to vLLM's `/classify` (a sequence-classification model served with
`vllm serve`): request `{"model": MODEL, "input": [text, ...]}`, reply
`{"data": [{"index": i, "probs": [p, ...], "num_classes": k}, ...]}`. The text is the prompt
and the response in the HH-RLHF layout (`TEXT`), since `/classify` takes plain strings and
applies no chat template. The reward is the one class's score of a one-label head, else the
log-probability of the last class (as `hf:` reads a two-label head).

`pooling:` POSTs one conversation at a time to vLLM's `/pooling` in the chat form
(`{"model": MODEL, "messages": [user, assistant]}`), so the server applies the reward model's
own chat template; the reply is `{"data": [{"index": 0, "data": X}]}` where X is a number or a
(nested) list of per-token rewards: the reward is the last number (the last token's).

Either reply of another shape, an empty result or a non-finite number is a `RewardError`.
Written to vLLM's documented shapes and tested against a loopback double, not a real vLLM.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import httpx

from safetyloop.reward._http import endpoint, in_batches, post
from safetyloop.reward._model import RewardError, RewardModel, Scored, checked, reward_kind

#: How a (prompt, response) pair is written as one string for `/classify`.
TEXT = "\n\nHuman: {prompt}\n\nAssistant: {response}"


class ClassifyReward(RewardModel):
    """A sequence classifier behind vLLM's `/classify`, its score of each text the reward."""

    kind = "classify"

    def __init__(self, rest: str, timeout: float = 60.0) -> None:
        super().__init__(f"classify:{rest}")
        self.url, self.model = endpoint("classify", rest)
        self.timeout = timeout

    def score(self, items: Sequence[Scored]) -> list[float]:
        return in_batches(items, self.timeout, self._batch)

    def _batch(self, client: httpx.Client, items: Sequence[Scored]) -> list[float]:
        texts = [TEXT.format(prompt=i.prompt, response=i.response) for i in items]
        body: dict[str, object] = {"input": texts}
        if self.model:
            body["model"] = self.model
        reply = post(client, self.url, body)
        try:
            rows = {int(r["index"]): r["probs"] for r in reply.json()["data"]}
        except (ValueError, KeyError, TypeError) as exc:
            raise RewardError(f'{self.url} did not answer {{"data": [{{"probs": ...}}]}}') from exc
        if sorted(rows) != list(range(len(texts))):
            raise RewardError(f"{self.url} classified {len(rows)} of {len(texts)} texts")
        return checked(
            [_class_score(rows[i], self.url) for i in range(len(texts))], len(texts), self.url
        )


def _class_score(probs: object, source: str) -> object:
    """One class: its score; more: the log-probability of the last (a checked number later)."""
    if not isinstance(probs, list) or not probs:
        raise RewardError(f"{source}: 'probs' is not a non-empty list: {probs!r}")
    last = probs[-1]
    if len(probs) == 1 or not isinstance(last, int | float) or isinstance(last, bool):
        return last
    return math.log(last) if last > 0 else -math.inf


class PoolingReward(RewardModel):
    """A reward model behind vLLM's `/pooling`, asked in the chat form."""

    kind = "pooling"

    def __init__(self, rest: str, timeout: float = 60.0) -> None:
        super().__init__(f"pooling:{rest}")
        self.url, self.model = endpoint("pooling", rest)
        self.timeout = timeout

    def score(self, items: Sequence[Scored]) -> list[float]:
        with httpx.Client(timeout=self.timeout) as client:
            values = [self._one(client, item) for item in items]
        return checked(values, len(items), self.url)

    def _one(self, client: httpx.Client, item: Scored) -> object:
        messages = [
            {"role": "user", "content": item.prompt},
            {"role": "assistant", "content": item.response},
        ]
        body: dict[str, object] = {"messages": messages}
        if self.model:
            body["model"] = self.model
        reply = post(client, self.url, body)
        try:
            value = reply.json()["data"][0]["data"]
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise RewardError(f'{self.url} did not answer {{"data": [{{"data": ...}}]}}') from exc
        while isinstance(value, list):
            if not value:
                raise RewardError(f"{self.url} answered an empty reward list")
            value = value[-1]
        return value


@reward_kind("classify")
def _classify(rest: str) -> RewardModel:
    return ClassifyReward(rest)


@reward_kind("pooling")
def _pooling(rest: str) -> RewardModel:
    return PoolingReward(rest)
