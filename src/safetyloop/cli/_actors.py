"""Who acts on the command line: `--as` or SAFETYLOOP_ACTOR, checked against the roles file."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from safetyloop.clock import Clock
    from safetyloop.governance import Policy

ActorOption = Annotated[
    str | None,
    typer.Option("--as", envvar="SAFETYLOOP_ACTOR", help="Who acts (default: the OS user)."),
]
RolesOption = Annotated[
    Path | None,
    typer.Option(
        "--roles",
        envvar="SAFETYLOOP_ROLES",
        help="YAML file mapping actors to roles (default: .safetyloop/roles.yaml).",
    ),
]
PolicyOption = Annotated[
    Path | None,
    typer.Option(
        "--policy",
        envvar="SAFETYLOOP_POLICY",
        help="Governance policy YAML (default: the shipped policy).",
    ),
]


def acting(actor: str | None, roles_file: Path | None) -> tuple[str, list[str]]:
    """The actor and their roles; an actor missing from the roles file is refused (exit 2)."""
    from safetyloop.governance import current_actor, load_roles

    who = actor or current_actor()
    return who, load_roles(roles_file).of(who)


def policy_from(path: Path | None) -> Policy:
    """The governance policy at `path` (default: the shipped one), loaded when a command runs."""
    from safetyloop.governance import load_policy

    return load_policy(path)


def expiry(expires: str | None, days: int | None, clock: Clock) -> datetime:
    """The expiry a command was given: `--expires` (ISO 8601) or `--days` from now, not both."""
    from safetyloop.errors import InputError
    from safetyloop.governance import parse_time

    if (expires is None) == (days is None):
        raise InputError("give exactly one of --expires and --days")
    return parse_time(expires, "--expires") if expires else clock.now() + timedelta(days=days or 0)
