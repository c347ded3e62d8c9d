"""Test double: a loopback HTTP reward server speaking the documented JSON shape.

POST `{"items": [{"prompt", "response"}, ...]}` -> `{"rewards": [...]}`, reward = words in the
response (a planted length bias); a path ending in `/rerank` answers the Jina/Cohere rerank shape
(vLLM, llama.cpp) with the same scores, best first; `/classify` and `/pooling` answer vLLM's
documented shapes (a one-class score words/(words+1), or two classes; per-token rewards ending in
the words). `mode` makes it misbehave: "500", "shape", "count", "nan", "two" (two classes).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from safetyloop.reward import words


class RewardServerDouble(ThreadingHTTPServer):
    mode = "ok"
    requests = 0


class _Handler(BaseHTTPRequestHandler):
    server: RewardServerDouble

    def do_POST(self) -> None:
        self.server.requests += 1
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if self.path.endswith("/rerank"):
            return self._rerank(body)
        if self.path.endswith("/classify"):
            return self._classify(body)
        if self.path.endswith("/pooling"):
            return self._pooling(body)
        rewards: list[object] = [float(words(i["response"])) for i in body["items"]]
        mode = self.server.mode
        if mode == "500":
            return self._send(500, {"error": "overloaded"})
        if mode == "shape":
            return self._send(200, {"scores": rewards})
        if mode == "count":
            rewards = rewards[:-1]
        if mode == "nan":
            rewards[0] = "NaN"
        return self._send(200, {"rewards": rewards})

    def _rerank(self, body: dict[str, object]) -> None:
        """Jina/Cohere rerank shape, best first as real rerankers answer."""
        docs = body["documents"]
        assert isinstance(docs, list) and isinstance(body["query"], str)
        results = [{"index": i, "relevance_score": float(words(d))} for i, d in enumerate(docs)]
        results.sort(key=lambda r: -float(r["relevance_score"]))
        if self.server.mode == "count":
            results = results[:-1]
        if self.server.mode == "500":
            return self._send(500, {"error": "overloaded"})
        return self._send(200, {"id": "rerank-1", "results": results})

    def _classify(self, body: dict[str, object]) -> None:
        """vLLM `/classify`: texts in the HH-RLHF layout, the response after "Assistant: "."""
        texts = body["input"]
        assert isinstance(texts, list)
        rows = []
        for i, text in enumerate(texts):
            n = words(text.split("\n\nAssistant: ", 1)[1])
            p = n / (n + 1)
            probs = [1 - p, p] if self.server.mode == "two" else [p]
            rows.append({"index": i, "label": "LABEL_0", "probs": probs, "num_classes": len(probs)})
        if self.server.mode == "count":
            rows = rows[:-1]
        if self.server.mode == "shape":
            return self._send(200, {"data": [{"index": 0, "score": 1.0}]})
        return self._send(200, {"object": "list", "data": rows})

    def _pooling(self, body: dict[str, object]) -> None:
        """vLLM `/pooling` in the chat form: per-token rewards, the last one the words."""
        messages = body["messages"]
        assert isinstance(messages, list) and [m["role"] for m in messages] == ["user", "assistant"]
        n = float(words(messages[1]["content"]))
        value: object = [[0.5], [0.25], [n]]
        if self.server.mode == "nan":
            value = [[float("nan")]]
        if self.server.mode == "shape":
            value = []
        if self.server.mode == "500":
            return self._send(500, {"error": "overloaded"})
        return self._send(200, {"object": "list", "data": [{"index": 0, "data": value}]})

    def _send(self, status: int, payload: object) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:  # quiet tests
        pass


@contextmanager
def reward_server() -> Iterator[RewardServerDouble]:
    """A server on a free loopback port for the length of the block."""
    server = RewardServerDouble(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
