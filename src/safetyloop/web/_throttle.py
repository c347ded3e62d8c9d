"""Failed sign-ins, counted per account name: after `LIMIT` within `WINDOW_S` seconds, that name
may not sign in (even with the right password) until the oldest failure leaves the window.

Kept in the server's memory (one process): a restart forgets it, which is no way in, since
guessing still costs `LIMIT` tries per window and argon2's work per try.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque

#: Failed sign-ins per name allowed within the window.
LIMIT = 5
#: The window, in seconds.
WINDOW_S = 15 * 60.0


class SignInThrottle:
    """Recent failed sign-ins by name; thread-safe (uvicorn serves forms from a thread pool)."""

    def __init__(self, limit: int = LIMIT, window_s: float = WINDOW_S) -> None:
        self.limit, self.window_s = limit, window_s
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def wait_s(self, name: str, now: float | None = None) -> float:
        """Seconds until `name` may try again; 0 when it may now."""
        at = time.monotonic() if now is None else now
        with self._lock:
            recent = self._failures.get(name)
            if recent is None:
                return 0.0
            while recent and recent[0] <= at - self.window_s:
                recent.popleft()
            if len(recent) < self.limit:
                return 0.0
            return recent[0] + self.window_s - at

    def failed(self, name: str, now: float | None = None) -> None:
        with self._lock:
            self._failures[name].append(time.monotonic() if now is None else now)

    def succeeded(self, name: str) -> None:
        with self._lock:
            self._failures.pop(name, None)
