"""`safetyloop attest add|list|show`: control attestations for the risk report, signed in review."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich import box
from rich.table import Table

from ._actors import ActorOption, PolicyOption, expiry
from ._common import StoreOption, console

if TYPE_CHECKING:
    from safetyloop.risk.attestations import Attestation

app = typer.Typer(help="Control attestations: what would catch a pathway, signed in review.")


@app.command("add")
def add_command(
    control: Annotated[str, typer.Option(help="The control's id, as the pathways file names it.")],
    pathway: Annotated[
        list[str], typer.Option("--pathway", "-p", help="A pathway it covers; repeatable.")
    ],
    owner: Annotated[str, typer.Option(help="Who owns the control.")],
    how: Annotated[str, typer.Option(help="How it would catch the pathway.")],
    last_checked: Annotated[
        str | None, typer.Option(help="When it was last checked, ISO 8601 (default: now).")
    ] = None,
    expires: Annotated[str | None, typer.Option(help="Expiry, ISO 8601.")] = None,
    days: Annotated[int | None, typer.Option(help="Or: expire this many days from now.")] = None,
    pathways: Annotated[
        Path | None, typer.Option(help="Pathways YAML the pathway ids are checked against.")
    ] = None,
    actor: ActorOption = None,
    policy: PolicyOption = None,
    store: StoreOption = None,
) -> None:
    """Attest a control; it queues a `control-attestation` review the attester cannot sign."""
    from safetyloop.governance import current_actor, env_clock, load_policy, parse_time
    from safetyloop.risk import load_pathways
    from safetyloop.risk.attestations import add_attestation
    from safetyloop.store import Store

    clock = env_clock()
    until = expiry(expires, days, clock)
    checked = parse_time(last_checked, "--last-checked") if last_checked else clock.now()
    known = [p.id for p in load_pathways(pathways).pathways]
    with Store(store) as db:
        att, item = add_attestation(
            db,
            control=control,
            pathways=pathway,
            owner=owner,
            how=how,
            last_checked=checked,
            expires_at=until,
            actor=actor or current_actor(),
            known_pathways=known,
            policy=load_policy(policy),
            clock=clock,
        )
    console.print(
        f"attested {att.id}: {att.control} for {', '.join(att.pathways)}, expires "
        f"{att.expires_at:%Y-%m-%d %H:%M} UTC; review {item.id} (tier {item.tier}) due "
        f"{item.due_at:%Y-%m-%d %H:%M} UTC — current once approved"
    )


def _describe(a: Attestation, state: str) -> list[str]:
    return [
        f"attestation {a.id}: {state}",
        f"control {a.control} (owner {a.owner}) covers {', '.join(a.pathways)}",
        f"how: {a.how}",
        f"last checked {a.last_checked:%Y-%m-%d %H:%M} UTC, "
        f"expires {a.expires_at:%Y-%m-%d %H:%M} UTC",
        f"attested by {a.attested_by} at {a.attested_at:%Y-%m-%d %H:%M} UTC",
        f"review {a.review_id}: {a.review_status}"
        + (f" (approved by {', '.join(a.approvers)})" if a.approvers else ""),
    ]


@app.command("show")
def show_command(attestation_id: str, store: StoreOption = None) -> None:
    """One attestation, its review and whether it is current now."""
    from safetyloop.governance import env_clock
    from safetyloop.risk.attestations import get_attestation
    from safetyloop.store import Store

    with Store(store) as db:
        found = get_attestation(db, attestation_id)
    for line in _describe(found, found.state(env_clock().now())):
        console.print(line)


@app.command("list")
def list_command(store: StoreOption = None) -> None:
    """Every attestation and its state now (current, unsigned, rejected, expired)."""
    from safetyloop.governance import env_clock
    from safetyloop.risk.attestations import list_attestations
    from safetyloop.store import Store

    now = env_clock().now()
    with Store(store) as db:
        found = list_attestations(db)
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, title="attestations")
    for column in ("id", "control", "pathways", "owner", "expires (UTC)", "state", "review"):
        table.add_column(column)
    for a in found:
        table.add_row(
            a.id,
            a.control,
            ", ".join(a.pathways),
            a.owner,
            f"{a.expires_at:%Y-%m-%d %H:%M}",
            a.state(now),
            a.review_id,
        )
    console.print(table)
