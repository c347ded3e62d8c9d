"""`safetyloop serve` (the web console) and `safetyloop user add` (its accounts)."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from ._actors import PolicyOption, RolesOption
from ._common import StoreOption, console

users_app = typer.Typer(help="Web console accounts (roles come from the governance roles file).")


def serve_command(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=0, max=65535)] = 8765,
    secure_cookies: Annotated[
        bool, typer.Option(help="Send the session cookie over HTTPS only (behind TLS).")
    ] = False,
    roles: RolesOption = None,
    policy: PolicyOption = None,
    store: StoreOption = None,
) -> None:
    """Serve the web console: runs, cases, gate decisions, comparisons, reviews, debt,
    exceptions, incidents and the audit log, with sign-in (add users with `user add`)."""
    import uvicorn

    from safetyloop.web import WebConfig, create_app

    if policy is not None:  # the gate pages read the policy from the environment, as `gate` does
        os.environ["SAFETYLOOP_POLICY"] = str(policy)

    app = create_app(
        WebConfig(store_url=store, roles=roles, policy=policy, secure_cookies=secure_cookies)
    )
    console.print(f"safetyloop console on http://{host}:{port}/ (store {app.state.store.url})")
    uvicorn.run(app, host=host, port=port, log_level="warning")


@users_app.command("add")
def add_command(
    name: Annotated[str, typer.Argument(help="The account's name, as in the roles file.")],
    token: Annotated[
        bool, typer.Option("--token", help="A machine account: print a bearer token once.")
    ] = False,
    password: Annotated[
        str | None,
        typer.Option(
            envvar="SAFETYLOOP_WEB_PASSWORD",
            help="The password (default: asked for, hidden, twice).",
        ),
    ] = None,
    store: StoreOption = None,
) -> None:
    """Add a console account; what it may do comes from the governance roles file."""
    from safetyloop.store import Store
    from safetyloop.web import add_account, new_token

    secret = new_token() if token else None
    if not token and password is None:
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    with Store(store) as db:
        add_account(db, name, password=None if token else password, token=secret)
    console.print(f"added console user {name}")
    if secret is not None:
        console.print(f"token (shown once): {secret}")
