"""`safetyloop review list|show|approve|reject|override|escalate`: the queue people decide."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

import typer
from rich import box
from rich.table import Table

from ._actors import ActorOption, PolicyOption, RolesOption, acting, policy_from
from ._common import StoreOption, console

if TYPE_CHECKING:
    from safetyloop.governance.reviews import ReviewItem

app = typer.Typer(help="The review queue: items routed from gates, verdicts and requests.")

ReasonOption = Annotated[str, typer.Option("--reason", "-r", help="Why (required).")]


def _state(item: ReviewItem, overdue: bool) -> str:
    if item.status != "pending":
        return item.status
    late = " OVERDUE" if overdue else ""
    up = f" ↑{item.escalated_to}" if item.escalated_to else ""
    return f"pending{late}{up}"


@app.command("list")
def list_command(
    status: Annotated[
        str, typer.Option(help="pending (default), approved, rejected or all.")
    ] = "pending",
    run: Annotated[str | None, typer.Option(help="Only items of this run id.")] = None,
    actor: ActorOption = None,
    policy: PolicyOption = None,
    store: StoreOption = None,
) -> None:
    """List review items. Overdue items are escalated first (recorded and audited)."""
    from safetyloop.governance import current_actor, env_clock
    from safetyloop.governance.reviews import escalate_overdue, list_reviews
    from safetyloop.store import Store

    clock = env_clock()
    with Store(store) as db:
        escalate_overdue(
            db, actor=actor or current_actor(), policy=policy_from(policy), clock=clock
        )
        items = list_reviews(db, status=None if status == "all" else status, run_id=run)
    now = clock.now()
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, title=f"review items ({status})")
    for column in ("id", "rule", "tier", "status", "principle", "due (UTC)", "signed"):
        table.add_column(column, no_wrap=column != "signed")
    table.add_column("subject", min_width=30)
    for item in items:
        table.add_row(
            item.id,
            item.rule,
            str(item.tier),
            _state(item, item.overdue(now)),
            item.principle or "",
            f"{item.due_at:%Y-%m-%d %H:%M}",
            ", ".join(f"{g.approver}:{g.verdict}" for g in item.signatures),
            item.subject,
        )
    console.print(table)
    console.print(f"{len(items)} item{'s' if len(items) != 1 else ''}")


@app.command("show")
def show_command(item_id: str, store: StoreOption = None) -> None:
    """Everything about one item: summary, signatures with reasons, escalations."""
    from safetyloop.governance.reviews import get_review
    from safetyloop.store import Store

    with Store(store) as db:
        item = get_review(db, item_id)
    lines = [
        f"review {item.id}: {item.rule}, tier {item.tier}, {item.status}",
        f"subject: {item.subject}",
        f"run: {item.run_id or '-'}  target: {item.target or '-'}  principle: "
        f"{item.principle or '-'}  author: {item.author or '-'}",
        f"created {item.created_at:%Y-%m-%d %H:%M} UTC, due {item.due_at:%Y-%m-%d %H:%M} UTC"
        + (f", exception {item.exception_id}" if item.exception_id else ""),
        f"summary: {item.summary}",
    ]
    lines += [
        f"  {g.verdict} by {g.approver} ({g.role or '-'}) at {g.at:%Y-%m-%d %H:%M}: {g.reason}"
        for g in item.signatures
    ]
    lines += [
        f"  escalated to {e['to']} (level {e['level']}) after SLA breach at {e['breached_at']}"
        for e in item.escalations
    ]
    for line in lines:
        console.print(line, markup=False)


def _verdict_command(verdict: str, doc: str) -> Callable[..., None]:
    """The `approve` or `reject` command: both record one signature with its reason."""

    def command(
        item_id: str,
        reason: ReasonOption,
        actor: ActorOption = None,
        roles: RolesOption = None,
        policy: PolicyOption = None,
        store: StoreOption = None,
    ) -> None:
        from safetyloop.governance import env_clock
        from safetyloop.governance.reviews import decide
        from safetyloop.store import Store

        who, held = acting(actor, roles)
        with Store(store) as db:
            item = decide(
                db,
                item_id,
                actor=who,
                roles=held,
                verdict=verdict,
                reason=reason,
                policy=policy_from(policy),
                clock=env_clock(),
            )
        _report(item, who)

    command.__doc__ = doc
    return command


app.command("approve")(
    _verdict_command(
        "approve",
        "Approve an item. Exit 1 when the rules forbid this approver, 2 for an unknown actor.",
    )
)
app.command("reject")(_verdict_command("reject", "Reject an item: one rejection decides it."))


@app.command("override")
def override_command(
    item_id: str,
    label: Annotated[str, typer.Option("--label", "-l", help="The label the verdict should have.")],
    reason: ReasonOption,
    actor: ActorOption = None,
    roles: RolesOption = None,
    policy: PolicyOption = None,
    store: StoreOption = None,
) -> None:
    """Relabel the verdict a borderline item is about; the gate counts your label from now on.

    Exit 1 when the rules forbid this reviewer (as for approve) or it is overridden already.
    """
    from safetyloop.governance import env_clock
    from safetyloop.governance.overrides import override_verdict
    from safetyloop.store import Store

    who, held = acting(actor, roles)
    with Store(store) as db:
        done = override_verdict(
            db,
            item_id,
            label=label,
            reason=reason,
            actor=who,
            roles=held,
            policy=policy_from(policy),
            clock=env_clock(),
        )
    console.print(
        f"{who} overrode {done.scorer}'s verdict on {done.case_key} (run {done.run_id}): "
        f"{done.was!r} -> {done.label!r}; the gate counts {done.label!r}",
        markup=False,
    )


@app.command("escalate")
def escalate_command(
    actor: ActorOption = None, policy: PolicyOption = None, store: StoreOption = None
) -> None:
    """Escalate every item past its SLA along the policy's chain (also done by list and gate)."""
    from safetyloop.governance import current_actor, env_clock
    from safetyloop.governance.reviews import escalate_overdue
    from safetyloop.store import Store

    with Store(store) as db:
        done = escalate_overdue(
            db, actor=actor or current_actor(), policy=policy_from(policy), clock=env_clock()
        )
    for item in done:
        console.print(f"{item.id} escalated to {item.escalated_to} (level {item.escalation_level})")
    console.print(f"{len(done)} escalated")


def _report(item: ReviewItem, who: str) -> None:
    signed = sum(g.verdict == "approve" for g in item.signatures)
    console.print(
        f"{who} signed {item.id} (tier {item.tier}): {item.status}, "
        f"{signed} approval{'s' if signed != 1 else ''} so far",
        markup=False,
    )
