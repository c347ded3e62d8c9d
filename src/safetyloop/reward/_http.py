"""`http://…` or `https://…`: a reward model behind an HTTP endpoint, in one documented JSON shape.

Request (POST, JSON): `{"items": [{"prompt": "...", "response": "..."}, ...]}`.
Reply (200, JSON): `{"rewards": [float, ...]}`, one finite number per item, in order.
Anything else (transport failure, another status, a reply of another shape) is a `RewardError`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import httpx

from safetyloop.errors import InputError
from safetyloop.reward._model import RewardError, RewardModel, Scored, checked, reward_kind

#: Items sent in one request: small enough for any server's body limit.
BATCH = 32


def post(client: httpx.Client, url: str, body: Mapping[str, object]) -> httpx.Response:
    """POST `body` as JSON; a transport failure or a status other than 200 is a `RewardError`."""
    try:
        reply = client.post(url, json=body)
    except httpx.HTTPError as exc:
        raise RewardError(f"{url}: {type(exc).__name__}: {exc}") from exc
    if reply.status_code != 200:
        raise RewardError(f"{url} answered HTTP {reply.status_code}: {reply.text[:200]}")
    return reply


def in_batches(
    items: Sequence[Scored],
    timeout: float,
    ask: Callable[[httpx.Client, Sequence[Scored]], list[float]],
) -> list[float]:
    """`ask` the endpoint about `items`, `BATCH` at a time, over one connection."""
    out: list[float] = []
    with httpx.Client(timeout=timeout) as client:
        for start in range(0, len(items), BATCH):
            out.extend(ask(client, items[start : start + BATCH]))
    return out


def endpoint(kind: str, rest: str) -> tuple[str, str]:
    """`URL[#MODEL]` after `KIND:` as (url, model; "" when not given); a non-http URL is an
    `InputError`."""
    url, _, model = rest.partition("#")
    if not url.startswith(("http://", "https://")):
        raise InputError(f"{kind} endpoint {url!r} is not an http(s) URL")
    return url, model


class HttpReward(RewardModel):
    """POSTs batches of items to `url` and reads `rewards` back."""

    kind = "http"

    def __init__(self, url: str, timeout: float = 60.0) -> None:
        super().__init__(url)
        if not url.startswith(("http://", "https://")):
            raise InputError(f"reward endpoint {url!r} is not an http(s) URL")
        self.url = url
        self.timeout = timeout

    def score(self, items: Sequence[Scored]) -> list[float]:
        return in_batches(items, self.timeout, self._batch)

    def _batch(self, client: httpx.Client, items: Sequence[Scored]) -> list[float]:
        body = {"items": [{"prompt": i.prompt, "response": i.response} for i in items]}
        reply = post(client, self.url, body)
        try:
            rewards = reply.json()["rewards"]
        except (ValueError, KeyError, TypeError) as exc:
            raise RewardError(f'{self.url} did not answer {{"rewards": [...]}}') from exc
        if not isinstance(rewards, list):
            raise RewardError(f"{self.url}: 'rewards' is not a list")
        return checked(rewards, len(items), self.url)


@reward_kind("http")
def _http(rest: str) -> RewardModel:
    return HttpReward(f"http:{rest}")


@reward_kind("https")
def _https(rest: str) -> RewardModel:
    return HttpReward(f"https:{rest}")


class RerankReward(RewardModel):
    """`rerank:URL[#MODEL]`: the rerank endpoint vLLM (`/v1/rerank`) and llama.cpp's server
    (`--reranking`, `/v1/rerank`) expose, Jina/Cohere shape: a cross-encoder's relevance score
    of each answer to its prompt is the reward.

    Request: `{"model": MODEL, "query": prompt, "documents": [answer, ...], "top_n": n}`, one per
    prompt; reply: `{"results": [{"index": i, "relevance_score": x}, ...]}` covering every
    document once.
    """

    kind = "rerank"

    def __init__(self, rest: str, timeout: float = 60.0) -> None:
        super().__init__(f"rerank:{rest}")
        self.url, self.model = endpoint("rerank", rest)
        self.timeout = timeout

    def score(self, items: Sequence[Scored]) -> list[float]:
        by_prompt: dict[str, list[int]] = {}
        for i, item in enumerate(items):
            by_prompt.setdefault(item.prompt, []).append(i)
        out = [0.0] * len(items)
        with httpx.Client(timeout=self.timeout) as client:
            for prompt, index in by_prompt.items():
                docs = [items[i].response for i in index]
                for i, value in zip(index, self._rerank(client, prompt, docs), strict=True):
                    out[i] = value
        return out

    def _rerank(self, client: httpx.Client, query: str, docs: list[str]) -> list[float]:
        body = {"query": query, "documents": docs, "top_n": len(docs)}
        if self.model:
            body["model"] = self.model
        reply = post(client, self.url, body)
        try:
            results = {int(r["index"]): r["relevance_score"] for r in reply.json()["results"]}
        except (ValueError, KeyError, TypeError) as exc:
            raise RewardError(f'{self.url} did not answer {{"results": [...]}}') from exc
        if sorted(results) != list(range(len(docs))):
            raise RewardError(f"{self.url} ranked {len(results)} of {len(docs)} documents")
        return checked([results[i] for i in range(len(docs))], len(docs), self.url)


@reward_kind("rerank")
def _rerank(rest: str) -> RewardModel:
    return RerankReward(rest)
