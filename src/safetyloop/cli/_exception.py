"""`safetyloop exception request|show|list`: ship despite a BLOCK, via the tier-3 committee."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich import box
from rich.table import Table

from ._actors import ActorOption, PolicyOption, RolesOption, acting, expiry, policy_from
from ._common import StoreOption, console

if TYPE_CHECKING:
    from safetyloop.governance.exceptions import GateException

app = typer.Typer(help="Exceptions: ship a target despite a BLOCK, approved by the committee.")


@app.command("request")
def request_command(
    run: Annotated[str, typer.Option(help="The BLOCKed run (id, prefix or 'latest').")],
    principle: Annotated[
        list[str], typer.Option("--principle", "-p", help="A BLOCKed principle; repeatable.")
    ],
    mitigation: Annotated[str, typer.Option(help="The mitigation plan while it ships.")],
    reason: Annotated[str, typer.Option(help="Why it must ship now.")],
    expires: Annotated[
        str | None, typer.Option(help="Expiry, ISO 8601 (e.g. 2026-12-31T00:00:00Z).")
    ] = None,
    days: Annotated[int | None, typer.Option(help="Or: expire this many days from now.")] = None,
    actor: ActorOption = None,
    roles: RolesOption = None,
    policy: PolicyOption = None,
    store: StoreOption = None,
) -> None:
    """Request an exception; it queues a tier-3 review the committee must approve."""
    from safetyloop.governance import env_clock
    from safetyloop.governance.exceptions import request_exception
    from safetyloop.store import Store

    who, _ = acting(actor, roles)
    clock = env_clock()
    until = expiry(expires, days, clock)
    with Store(store) as db:
        exc, item = request_exception(
            db,
            run_id=db.get_run(run).id,
            principles=principle,
            expires_at=until,
            mitigation=mitigation,
            reason=reason,
            actor=who,
            policy=policy_from(policy),
            clock=clock,
        )
    console.print(
        f"requested {exc.id} for {exc.target} ({', '.join(exc.principles)}), expires "
        f"{exc.expires_at:%Y-%m-%d %H:%M} UTC; review {item.id} (tier {item.tier}) due "
        f"{item.due_at:%Y-%m-%d %H:%M} UTC",
        markup=False,
    )


def _describe(e: GateException) -> list[str]:
    return [
        f"exception {e.id}: {e.status}",
        f"target {e.target}, run {e.run_id}, principles {', '.join(e.principles)}",
        f"requested by {e.requested_by} at {e.created_at:%Y-%m-%d %H:%M} UTC, expires "
        f"{e.expires_at:%Y-%m-%d %H:%M} UTC",
        f"reason: {e.reason}",
        f"mitigation: {e.mitigation}",
        f"review: {e.review_id or '-'}"
        + (f", decided {e.decided_at:%Y-%m-%d %H:%M} UTC" if e.decided_at else ""),
    ]


@app.command("show")
def show_command(exception_id: str, store: StoreOption = None) -> None:
    """One exception, with its review and state."""
    from safetyloop.governance import env_clock
    from safetyloop.governance.exceptions import get_exception
    from safetyloop.store import Store

    with Store(store) as db:
        found = get_exception(db, exception_id)
    active = found.active(env_clock().now())
    for line in [*_describe(found), f"active now: {'yes' if active else 'no'}"]:
        console.print(line, markup=False)


@app.command("list")
def list_command(store: StoreOption = None) -> None:
    """Every exception and whether it is active now."""
    from safetyloop.governance import env_clock
    from safetyloop.governance.exceptions import list_exceptions
    from safetyloop.store import Store

    now = env_clock().now()
    with Store(store) as db:
        found = list_exceptions(db)
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, title="exceptions")
    for column in ("id", "target", "principles", "status", "expires (UTC)", "active", "review"):
        table.add_column(column, no_wrap=True)
    for e in found:
        table.add_row(
            e.id,
            e.target,
            ", ".join(e.principles),
            e.status,
            f"{e.expires_at:%Y-%m-%d %H:%M}",
            "yes" if e.active(now) else "no",
            e.review_id or "",
        )
    console.print(table)
