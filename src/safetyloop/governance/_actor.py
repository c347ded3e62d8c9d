"""Who acts: every governance action and audit entry names a person or a bot."""

from __future__ import annotations

import getpass
import os

#: Environment variable naming who acts (else the OS user).
ACTOR_ENV = "SAFETYLOOP_ACTOR"


def current_actor() -> str:
    """Who is acting: `SAFETYLOOP_ACTOR`, else the OS user, else "unknown"."""
    named = os.environ.get(ACTOR_ENV, "").strip()
    if named:
        return named
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name in some containers
        return "unknown"
