"""Secrets out of everything that leaves a target: the one redaction function.

A key can reach text by many roads — a base URL with `user:key@`, an `Authorization: Bearer`
header quoted in an exception, a provider that echoes the key back in its 401 body, a query
string. Whatever a target says (its errors, its configuration, its description) and whatever the
CLI prints about it passes through `redact` before it is stored or shown, so no key is ever
written to the store, a report, a progress line or a log.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable

#: What a secret becomes.
MASK = "***"

#: Shorter values are not masked inside text: masking a one-letter "key" would garble every
#: message, and a key that short protects nothing anyway.
MIN_SECRET_LENGTH = 6

_URL_CREDENTIALS = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]*://)[^/\s@?#]+@")
_BEARER = re.compile(r"(?i)\b(?P<word>bearer\s+)[^\s\"',;]+")
_QUERY_KEY = re.compile(
    r"(?i)(?P<name>[?&](?:api[_-]?key|key|token|access[_-]?token|secret)=)[^&#\s\"']+"
)


def secret_values(env_names: Iterable[str]) -> tuple[str, ...]:
    """The values of the environment variables named (those set), to pass to `redact`."""
    values = (os.environ.get(name) for name in env_names)
    return tuple(value for value in values if value)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` with URL credentials, Bearer tokens, key query parameters and every given secret
    value (at least `MIN_SECRET_LENGTH` characters) replaced by `MASK`."""
    for secret in sorted(
        {s for s in secrets if len(s) >= MIN_SECRET_LENGTH}, key=len, reverse=True
    ):
        text = text.replace(secret, MASK)
    text = _URL_CREDENTIALS.sub(lambda m: f"{m['scheme']}{MASK}@", text)
    text = _BEARER.sub(lambda m: f"{m['word']}{MASK}", text)
    return _QUERY_KEY.sub(lambda m: f"{m['name']}{MASK}", text)
