"""Who may act: a roles file maps each actor to their roles (YAML `actor: [role, ...]`).

An actor missing from the file is refused (exit 2) before anything changes.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field, RootModel

from safetyloop.config import load_model
from safetyloop.errors import InputError

#: Environment variable naming the roles file.
ROLES_ENV = "SAFETYLOOP_ROLES"
#: Where the roles file is looked for by default (relative to the working folder).
DEFAULT_ROLES = Path(".safetyloop") / "roles.yaml"


class Roles(RootModel[dict[str, list[str]]]):
    """Actor name → the roles they hold."""

    root: dict[str, list[str]] = Field(default_factory=dict)

    def of(self, actor: str) -> list[str]:
        """The actor's roles; an actor not in the file is refused."""
        if actor not in self.root:
            raise InputError(
                f"unknown actor {actor!r}: not in the roles file",
                hint=f"list {actor} with their roles in the roles file, or act --as a known actor",
            )
        return list(self.root[actor])


def load_roles(path: Path | None = None) -> Roles:
    """The roles file at `path`, else $SAFETYLOOP_ROLES, else `.safetyloop/roles.yaml`."""
    chosen = path or (Path(os.environ[ROLES_ENV]) if os.environ.get(ROLES_ENV) else DEFAULT_ROLES)
    if not chosen.is_file():
        raise InputError(
            f"no roles file at {chosen}",
            hint="write one mapping each actor to roles (`alice: [reviewer]`), or pass --roles",
        )
    return load_model(chosen, Roles)
