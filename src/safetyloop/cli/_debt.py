"""`safetyloop debt add|link|list|clear|age`: the alignment-debt ledger."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich import box
from rich.table import Table

from safetyloop.errors import InputError

from ._actors import ActorOption, PolicyOption, RolesOption, acting, policy_from
from ._common import ConstitutionOption, StoreOption, console

if TYPE_CHECKING:
    from safetyloop.governance.debt import DebtItem

app = typer.Typer(help="The alignment-debt ledger: gaps that age until evidence clears them.")


def _evidence(items: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key or not value:
            raise InputError(f"--evidence {item!r}: write KEY=VALUE (e.g. incident_ids=INC-7)")
        out.setdefault(key, []).append(value)
    return out


@app.command("add")
def add_command(
    principle: Annotated[str, typer.Option(help="The principle the gap is against.")],
    severity: Annotated[str, typer.Option(help="critical, high, medium or low.")],
    description: Annotated[str, typer.Option(help="What is wrong.")],
    owner: Annotated[str, typer.Option(help="Who must clear it.")],
    run_id: Annotated[
        list[str] | None, typer.Option("--run", help="Run showing the gap; repeatable.")
    ] = None,
    case: Annotated[
        list[str] | None, typer.Option("--case", help="Case key showing the gap; repeatable.")
    ] = None,
    evidence: Annotated[
        list[str] | None, typer.Option(help="More evidence as KEY=VALUE; repeatable.")
    ] = None,
    actor: ActorOption = None,
    roles: RolesOption = None,
    store: StoreOption = None,
    constitution: ConstitutionOption = None,
) -> None:
    """Open a debt item (audited); its principle and runs must exist."""
    from safetyloop.api import load_constitution_checked
    from safetyloop.governance import env_clock
    from safetyloop.governance.debt import open_debt
    from safetyloop.store import Store

    who, _ = acting(actor, roles)
    loaded = load_constitution_checked(constitution)
    found = {"run_ids": list(run_id or []), "case_ids": list(case or [])}
    found.update(_evidence(list(evidence or [])))
    with Store(store) as db:
        item = open_debt(
            db,
            principle=principle,
            severity=severity,
            description=description,
            owner=owner,
            evidence=found,
            actor=who,
            clock=env_clock(),
            constitution=loaded,
        )
    console.print(f"opened {item.id} ({item.severity}, {item.principle}) owned by {item.owner}")


@app.command("link")
def link_command(
    debt_id: str,
    suite: Annotated[str, typer.Option(help="Suite of the regression cases.")],
    case_ids: Annotated[list[str], typer.Argument(help="Case ids (or suite/id keys).")],
    actor: ActorOption = None,
    roles: RolesOption = None,
    store: StoreOption = None,
) -> None:
    """Link regression cases that must pass on a recorded run before the item can clear."""
    from safetyloop.governance import env_clock
    from safetyloop.governance.debt import link_regression_cases
    from safetyloop.store import Store

    who, _ = acting(actor, roles)
    with Store(store) as db:
        item = link_regression_cases(
            db, debt_id, suite=suite, case_ids=case_ids, actor=who, clock=env_clock()
        )
    console.print(f"{item.id} regression cases: {', '.join(item.regression_cases)}")


def _table(rows: list[tuple[DebtItem, str]], title: str) -> Table:
    from safetyloop.governance import env_clock

    clock = env_clock()
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, title=title)
    for column in ("id", "principle", "severity", "status", "age (d)", "aging", "owner", "cases"):
        table.add_column(column, no_wrap=True)
    table.add_column("description")
    for item, level in rows:
        table.add_row(
            item.id,
            item.principle,
            item.severity,
            "reopened" if item.reopened else item.status,
            f"{item.age_days(clock.now()):.1f}" if item.status == "open" else "-",
            level if item.status == "open" else "-",
            item.owner,
            str(len(item.regression_cases)),
            item.description,
        )
    return table


@app.command("list")
def list_command(
    status: Annotated[str, typer.Option(help="open (default), cleared or all.")] = "open",
    policy: PolicyOption = None,
    store: StoreOption = None,
) -> None:
    """List debt items with their age and aging level under the policy.

    An item cleared by a risk acceptance that has since expired is listed as open again
    (`reopened`), with the acceptance named below the table.
    """
    from safetyloop.governance import env_clock
    from safetyloop.governance.debt import aging_level, list_debt
    from safetyloop.store import Store

    the_policy, now = policy_from(policy), env_clock().now()
    with Store(store) as db:
        items = list_debt(db, status=None if status == "all" else status, at=now)
    console.print(_table([(i, aging_level(i, the_policy, now)) for i in items], f"debt ({status})"))
    for item in items:
        if item.reopened:
            console.print(f"{item.id} reopened: {item.reopened}", markup=False)


@app.command("age")
def age_command(
    actor: ActorOption = None,
    roles: RolesOption = None,
    policy: PolicyOption = None,
    store: StoreOption = None,
) -> None:
    """Record each open item's aging level now (changes are audited) and show them."""
    from safetyloop.governance import env_clock
    from safetyloop.governance.debt import age_debt
    from safetyloop.store import Store

    who, _ = acting(actor, roles)
    with Store(store) as db:
        rows = age_debt(db, actor=who, policy=policy_from(policy), clock=env_clock())
    console.print(_table(rows, "open debt by age"))
    blocking = [i.id for i, level in rows if level == "block"]
    if blocking:
        console.print(f"BLOCK: {', '.join(blocking)} past block age: every release BLOCKs")


@app.command("clear")
def clear_command(
    debt_id: str,
    run: Annotated[
        str | None, typer.Option(help="Finished run where every linked case passed.")
    ] = None,
    acceptance: Annotated[
        str | None, typer.Option(help="Approved, unexpired exception (risk acceptance) id.")
    ] = None,
    actor: ActorOption = None,
    roles: RolesOption = None,
    policy: PolicyOption = None,
    store: StoreOption = None,
) -> None:
    """Clear an item on evidence in the store. Exit 1 when refused (no evidence, or a role the
    policy does not let approve), 2 for an unknown actor."""
    from safetyloop.governance import env_clock
    from safetyloop.governance.debt import clear_debt
    from safetyloop.store import Store

    who, held = acting(actor, roles)
    with Store(store) as db:
        run_id = db.get_run(run).id if run is not None else None
        item = clear_debt(
            db,
            debt_id,
            run_id=run_id,
            acceptance_id=acceptance,
            actor=who,
            roles=held,
            policy=policy_from(policy),
            clock=env_clock(),
        )
    kind = (item.clearance or {}).get("kind", "")
    console.print(f"cleared {item.id} by {who} ({kind})")
