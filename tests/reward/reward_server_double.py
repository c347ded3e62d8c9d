"""Test double: a loopback HTTP reward server speaking the documented JSON shape.

POST `{"items": [{"prompt", "response"}, ...]}` -> `{"rewards": [...]}`, reward = words in the
response (a planted length bias); a path ending in `/rerank` answers the Jina/Cohere rerank shape
(vLLM, llama.cpp) with the same scores, best first. `mode` makes it misbehave: "500", "shape",
"count", "nan".
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
