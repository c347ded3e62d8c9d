"""A scriptable OpenAI-compatible chat-completions server on loopback, for tests and benchmarks.

Why a real HTTP server rather than a mocked client: the runner's fault handling lives in two
places — `OpenAITarget` maps HTTP status codes, headers and bodies to `TargetError` kinds, and
the runner turns those kinds into retries, waits and final errors. Only a server on a real socket
exercises both together, including timeouts (a connection that stays silent) and Retry-After
(a header parsed from the wire).

Tests script what the server answers, globally or per prompt (the last user message):

    with StubChatServer() as server:
        server.script(status(429, retry_after=1), ok(), prompt="hello")  # 429 first, then ok
        server.always(status(500), prompt="doomed")                      # every time
        ...
        assert server.count("hello") == 2

Replies are chosen in this order: the prompt's script queue, the prompt's `always` reply, the
global script queue, the global `always` reply, and finally the default — a deterministic answer
derived from the prompt, so reruns and caches can be compared byte for byte.

Every request is recorded (arrival time, prompt, body, reply kind) and, with `log_path`, written
as one JSON line to a log file the moment it arrives, so a test can see which prompts were asked
even across a client process that was killed.

Standalone, for a server that must outlive its clients:

    python -m tests.doubles.stub_chat_server --port 8765 --delay 0.2 --log requests.jsonl
"""

from __future__ import annotations

import argparse
import hashlib
import json
import signal
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO, Any, Literal

ReplyKind = Literal["ok", "status", "hang", "malformed", "empty"]

__all__ = [
    "RecordedRequest",
    "Reply",
    "StubChatServer",
    "default_text",
    "empty",
    "hang",
    "malformed",
    "ok",
    "read_log",
    "status",
    "tool_calls",
]


@dataclass(frozen=True)
class Reply:
    """One scripted answer. Build it with `ok`, `status`, `hang`, `malformed` or `empty`."""

    kind: ReplyKind
    text: str | None = None
    code: int = 200
    retry_after: float | str | None = None
    seconds: float = 0.0
    body: str | None = None
    #: The message's `tool_calls`, in the chat-completions wire shape, as sent.
    tool_calls: tuple[dict[str, Any], ...] = ()


def ok(text: str | None = None) -> Reply:
    """A normal completion; `None` means the deterministic default text for the prompt."""
    return Reply("ok", text=text)


def tool_calls(*calls: dict[str, Any], text: str = "") -> Reply:
    """A completion asking for tool calls (`{"id", "type", "function": {"name", "arguments"}}`
    each, sent exactly as given, malformed ones included), with `text` as its content."""
    return Reply("ok", text=text, tool_calls=calls)


def status(code: int, *, retry_after: float | str | None = None, body: str | None = None) -> Reply:
    """An HTTP error status, optionally with a Retry-After header (seconds or an HTTP date)."""
    return Reply("status", code=code, retry_after=retry_after, body=body)


def hang(seconds: float) -> Reply:
    """Say nothing for `seconds`, then answer normally (if the client is still listening)."""
    return Reply("hang", seconds=seconds)


def malformed(body: str = "<html>upstream proxy error</html>") -> Reply:
    """HTTP 200 whose body is not JSON, as a misbehaving proxy sends."""
    return Reply("malformed", body=body)


def empty() -> Reply:
    """HTTP 200, well-formed, with an empty message content."""
    return Reply("empty")


def default_text(prompt: str) -> str:
    """The default answer: a refusal-shaped text unique to the prompt, identical on every call."""
    digest = hashlib.sha256(prompt.encode("utf-8")).hexdigest()[:12]
    return f"I can't help with that. [stub {digest}]"


@dataclass
class RecordedRequest:
    """A request as the server saw it. `arrived` and `answered` are `time.monotonic()` values."""

    index: int
    prompt: str
    body: dict[str, Any]
    arrived: float
    wall_time: float
    reply: ReplyKind
    answered: float | None = None


@dataclass
class _Script:
    queue: deque[Reply] = field(default_factory=deque)
    forever: Reply | None = None


class StubChatServer:
    """An OpenAI-compatible `/v1/chat/completions` endpoint in a background thread.

    Args:
        delay: Seconds every request waits before its reply is sent (models a slow model).
        host: Interface to bind; loopback by default, never reachable from outside.
        port: 0 picks a free port, so parallel tests never collide.
        log_path: If set, one JSON line per request is appended (and flushed) on arrival.
    """

    def __init__(
        self,
        *,
        delay: float = 0.0,
        host: str = "127.0.0.1",
        port: int = 0,
        log_path: Path | str | None = None,
    ) -> None:
        self.delay = delay
        self._host = host
        self._port = port
        self._log_path = Path(log_path) if log_path is not None else None
        self._log: IO[str] | None = None
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._scripts: dict[str | None, _Script] = {}
        self._requests: list[RecordedRequest] = []
        self._in_flight = 0
        self._max_in_flight = 0
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # scripting ------------------------------------------------------------------------
    def script(self, *replies: Reply, prompt: str | None = None) -> StubChatServer:
        """Queue replies, consumed one per request, for `prompt` (None: for any prompt)."""
        with self._lock:
            self._scripts.setdefault(prompt, _Script()).queue.extend(replies)
        return self

    def always(self, reply: Reply, prompt: str | None = None) -> StubChatServer:
        """Answer `reply` whenever the queue for `prompt` (None: any prompt) is empty."""
        with self._lock:
            self._scripts.setdefault(prompt, _Script()).forever = reply
        return self

    def _choose(self, prompt: str) -> Reply:
        for key in (prompt, None):
            script = self._scripts.get(key)
            if script is None:
                continue
            if script.queue:
                return script.queue.popleft()
            if script.forever is not None:
                return script.forever
        return ok()

    # inspection -----------------------------------------------------------------------
    @property
    def requests(self) -> list[RecordedRequest]:
        """A snapshot of every request so far, in arrival order."""
        with self._lock:
            return list(self._requests)

    def count(self, prompt: str | None = None) -> int:
        """Requests received for `prompt`, or in total when `prompt` is None."""
        with self._lock:
            return sum(1 for r in self._requests if prompt is None or r.prompt == prompt)

    def requests_for(self, prompt: str) -> list[RecordedRequest]:
        """Every request for `prompt`, in arrival order."""
        with self._lock:
            return [r for r in self._requests if r.prompt == prompt]

    @property
    def max_in_flight(self) -> int:
        """The most requests that were received and not yet answered at the same time."""
        with self._lock:
            return self._max_in_flight

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("the stub server is not started")
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        """The OpenAI-style base URL, ending in `/v1`."""
        return f"http://{self._host}:{self.port}/v1"

    def target_spec(self, model: str = "stub") -> str:
        """A command-line target spec pointing at this server."""
        return f"openai:{model}@{self.base_url}"

    # lifecycle ------------------------------------------------------------------------
    def start(self) -> StubChatServer:
        if self._httpd is not None:
            return self
        if self._log_path is not None:
            self._log = self._log_path.open("a", encoding="utf-8")
        self._stopping.clear()
        httpd = ThreadingHTTPServer((self._host, self._port), _handler_for(self))
        httpd.daemon_threads = True
        httpd.block_on_close = False  # hung handlers must not hold up a test's teardown
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="stub-chat-server",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; requests still hanging are released at once."""
        self._stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        with self._lock:
            if self._log is not None:
                self._log.close()
                self._log = None

    def __enter__(self) -> StubChatServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def serve_until_stopped(self) -> None:
        """Block the calling thread until `stop()` (used by the standalone entry point)."""
        self._stopping.wait()

    # request handling (called on handler threads) -------------------------------------
    def _arrive(self, prompt: str, body: dict[str, Any]) -> tuple[RecordedRequest, Reply]:
        with self._lock:
            reply = self._choose(prompt)
            record = RecordedRequest(
                index=len(self._requests),
                prompt=prompt,
                body=body,
                arrived=time.monotonic(),
                wall_time=time.time(),
                reply=reply.kind,
            )
            self._requests.append(record)
            self._in_flight += 1
            self._max_in_flight = max(self._max_in_flight, self._in_flight)
            if self._log is not None:
                self._log.write(
                    json.dumps(
                        {
                            "index": record.index,
                            "time": record.wall_time,
                            "prompt": prompt,
                            "reply": reply.kind,
                            "body": body,
                        }
                    )
                    + "\n"
                )
                self._log.flush()
        return record, reply

    def _answered(self, record: RecordedRequest) -> None:
        # Counted as answered *before* the bytes go out: once the client holds the response it
        # may send its next request, which must not overlap this one in the in-flight count.
        with self._lock:
            self._in_flight -= 1
            record.answered = time.monotonic()

    def _wait(self, seconds: float) -> None:
        if seconds > 0:
            self._stopping.wait(seconds)


def _completion(text: str, model: str, calls: tuple[dict[str, Any], ...] = ()) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": (text or None) if calls else text}
    if calls:
        message["tool_calls"] = list(calls)
    return {
        "id": "chatcmpl-stub",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {"index": 0, "finish_reason": "tool_calls" if calls else "stop", "message": message}
        ],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


def _last_user_message(body: dict[str, Any]) -> str:
    for message in reversed(body.get("messages") or []):
        if isinstance(message, dict) and message.get("role") == "user":
            return str(message.get("content", ""))
    return ""


def _handler_for(server: StubChatServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, like real providers; needs Content-Length
        # Headers and body go out in separate writes; with Nagle on, the body then waits for the
        # client's delayed ACK (~40 ms per request), which would swamp every timing measured here.
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: Any) -> None:
            return None

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            if not self.path.rstrip("/").endswith("/chat/completions"):
                self._send(404, b'{"error": "not found"}')
                return
            try:
                body = json.loads(raw)
            except ValueError:
                self._send(400, b'{"error": "request body is not JSON"}')
                return
            prompt = _last_user_message(body)
            record, reply = server._arrive(prompt, body)
            server._wait(server.delay)
            if reply.kind == "hang":
                server._wait(reply.seconds)
            model = str(body.get("model", "stub"))
            headers: dict[str, str] = {}
            if reply.kind == "status":
                payload = reply.body or json.dumps({"error": {"message": f"stub {reply.code}"}})
                code = reply.code
                if reply.retry_after is not None:
                    headers["Retry-After"] = str(reply.retry_after)
            elif reply.kind == "malformed":
                payload, code = reply.body or "not json", 200
            elif reply.kind == "empty":
                payload, code = json.dumps(_completion("", model)), 200
            else:
                text = reply.text if reply.text is not None else default_text(prompt)
                payload, code = json.dumps(_completion(text, model, reply.tool_calls)), 200
            server._answered(record)
            self._send(code, payload.encode("utf-8"), headers)

        def _send(self, code: int, payload: bytes, headers: dict[str, str] | None = None) -> None:
            try:
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the client gave up (e.g. its timeout fired)

    return Handler


def read_log(path: Path | str) -> Iterator[dict[str, Any]]:
    """The JSON lines a server with `log_path` wrote, skipping a torn last line."""
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        try:
            yield json.loads(line)
        except ValueError:
            continue


def main(argv: list[str] | None = None) -> None:
    """Serve until SIGINT/SIGTERM; prints the base URL on the first line of stdout."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--delay", type=float, default=0.0, help="seconds before each reply")
    parser.add_argument("--log", type=Path, default=None, help="JSON-lines request log")
    args = parser.parse_args(argv)
    server = StubChatServer(delay=args.delay, host=args.host, port=args.port, log_path=args.log)
    server.start()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: server._stopping.set())
    print(server.base_url, flush=True)
    try:
        server.serve_until_stopped()
    finally:
        server.stop()


if __name__ == "__main__":
    main()
