"""A test double of Anthropic's Messages API (`POST /v1/messages`) on loopback, for tests of the
`anthropic` target over a real socket: headers, status codes, Retry-After and bodies travel the
wire as they would from the provider.

It checks requests the way the API does where our target could get them wrong — the
`x-api-key` and `anthropic-version` headers, `max_tokens`, turns that start with the user and
alternate, every `tool_result` answering a `tool_use` of the turn before — and answers 400 or 401
with the API's error shape when they fail. Replies are scripted in order (`script`), else:
a turn of tool results is answered with their contents, any other turn with an echo.

    with AnthropicMessagesDouble() as api:
        api.script(status(429, retry_after=2), tool_use(block("t1", "send", {"to": "x"})))
        ... AnthropicTarget("t", {"model": "m", "base_url": api.base_url}) ...
        api.requests[0].headers["x-api-key"]
"""

from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Reply:
    """One scripted answer: a status code and a body (JSON unless `raw`)."""

    code: int = 200
    body: Any = None
    raw: str | None = None
    retry_after: float | str | None = None


def message(*content: dict[str, Any], stop_reason: str = "end_turn") -> Reply:
    """A 200 answer with these content blocks."""
    body = {
        "id": "msg_double",
        "type": "message",
        "role": "assistant",
        "model": "double",
        "content": list(content),
        "stop_reason": stop_reason,
        "usage": {"input_tokens": 11, "output_tokens": 7},
    }
    return Reply(body=body)


def text(value: str) -> Reply:
    return message({"type": "text", "text": value})


def block(id: str, name: str, input: Any) -> dict[str, Any]:
    """A `tool_use` content block (its `input` sent exactly as given)."""
    return {"type": "tool_use", "id": id, "name": name, "input": input}


def tool_use(*blocks: dict[str, Any], say: str = "") -> Reply:
    """A 200 answer asking for tools, with an optional text block before the calls."""
    lead = [{"type": "text", "text": say}] if say else []
    return message(*lead, *blocks, stop_reason="tool_use")


def status(code: int, *, retry_after: float | str | None = None, body: str | None = None) -> Reply:
    """An error status in the API's shape (`{"type": "error", "error": {...}}`) unless `body`."""
    error = {"type": "error", "error": {"type": f"http_{code}", "message": f"double {code}"}}
    return Reply(code=code, body=None if body else error, raw=body, retry_after=retry_after)


def malformed(body: str = "<html>bad gateway</html>") -> Reply:
    """HTTP 200 whose body is not JSON."""
    return Reply(raw=body)


@dataclass
class Request:
    """A request as the double saw it."""

    headers: dict[str, str]
    body: dict[str, Any]


def _problem(body: dict[str, Any]) -> str | None:
    """What the Messages API would refuse in `body` with a 400, if anything."""
    if not isinstance(body.get("max_tokens"), int):
        return "max_tokens: Field required"
    turns = body.get("messages")
    if not isinstance(turns, list) or not turns or turns[0].get("role") != "user":
        return "messages: the first message must use the user role"
    previous_calls: set[str] = set()
    for index, turn in enumerate(turns):
        if index and turn.get("role") == turns[index - 1].get("role"):
            return f"messages.{index}: roles must alternate between user and assistant"
        if turn.get("role") not in {"user", "assistant"}:
            return f"messages.{index}.role: must be user or assistant"
        content = turn.get("content")
        blocks = [{"type": "text", "text": content}] if isinstance(content, str) else content
        calls = {b.get("id") for b in blocks if b.get("type") == "tool_use"}
        for b in blocks:
            if b.get("type") == "tool_result" and b.get("tool_use_id") not in previous_calls:
                return f"messages.{index}: tool_result {b.get('tool_use_id')} answers no tool_use"
            if b.get("type") == "tool_use" and not isinstance(b.get("input"), dict):
                return f"messages.{index}: tool_use.input must be an object"
        previous_calls = calls
    for tool in body.get("tools") or []:
        if set(tool) - {"name", "description", "input_schema"} or "input_schema" not in tool:
            return f"tools: unexpected shape {sorted(tool)}"
    return None


def _default(body: dict[str, Any]) -> Reply:
    last = body["messages"][-1]["content"]
    if isinstance(last, list) and any(b.get("type") == "tool_result" for b in last):
        results = [str(b.get("content")) for b in last if b.get("type") == "tool_result"]
        return text("tool results: " + "; ".join(results))
    if isinstance(last, list):
        last = " ".join(b.get("text", "") for b in last)
    return text(f"echo: {last}")


class AnthropicMessagesDouble:
    """The double in a background thread on a free loopback port."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: deque[Reply] = deque()
        self.requests: list[Request] = []
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def script(self, *replies: Reply) -> AnthropicMessagesDouble:
        with self._lock:
            self._queue.extend(replies)
        return self

    @property
    def base_url(self) -> str:
        assert self._httpd is not None, "not started"
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def __enter__(self) -> AnthropicMessagesDouble:
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _answer(self, headers: dict[str, str], raw: bytes) -> Reply:
        try:
            body = json.loads(raw)
        except ValueError:
            return status(400, body='{"type": "error", "error": {"message": "invalid JSON"}}')
        with self._lock:
            self.requests.append(Request(headers=headers, body=body))
        if not headers.get("x-api-key"):
            return status(401, body='{"type": "error", "error": {"message": "x-api-key required"}}')
        if headers.get("anthropic-version") != "2023-06-01":
            return status(400, body='{"type": "error", "error": {"message": "bad version"}}')
        problem = _problem(body)
        if problem is not None:
            error = {
                "type": "error",
                "error": {"type": "invalid_request_error", "message": problem},
            }
            return Reply(code=400, body=error)
        with self._lock:
            return self._queue.popleft() if self._queue else _default(body)


def _handler_for(double: AnthropicMessagesDouble) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: Any) -> None:
            return None

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.path != "/v1/messages":
                self._send(Reply(code=404, body={"type": "error"}))
                return
            headers = {k.lower(): v for k, v in self.headers.items()}
            self._send(double._answer(headers, raw))

        def _send(self, reply: Reply) -> None:
            payload = (reply.raw if reply.raw is not None else json.dumps(reply.body)).encode()
            self.send_response(reply.code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            if reply.retry_after is not None:
                self.send_header("Retry-After", str(reply.retry_after))
            self.end_headers()
            self.wfile.write(payload)

    return Handler


__all__ = [
    "AnthropicMessagesDouble",
    "Reply",
    "Request",
    "block",
    "malformed",
    "message",
    "status",
    "text",
    "tool_use",
]
