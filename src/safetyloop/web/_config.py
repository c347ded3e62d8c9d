"""What a console serves: one store, one roles file, one policy, one session secret."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

#: Environment variable holding the key that signs session cookies (else one per process).
SECRET_ENV = "SAFETYLOOP_WEB_SECRET"


def _secret() -> str:
    return os.environ.get(SECRET_ENV) or secrets.token_urlsafe(32)


@dataclass(frozen=True)
class WebConfig:
    """The console's settings.

    Attributes:
        store_url: the store every page reads (None: the project's default store).
        roles: the governance roles file (None: $SAFETYLOOP_ROLES or .safetyloop/roles.yaml).
        policy: the governance policy (None: $SAFETYLOOP_POLICY or the shipped one).
        secret: signs the session cookie; sessions end when it changes.
        secure_cookies: send the session cookie over HTTPS only (set it behind TLS).
    """

    store_url: str | None = None
    roles: Path | None = None
    policy: Path | None = None
    secret: str = field(default_factory=_secret, repr=False)
    secure_cookies: bool = False
