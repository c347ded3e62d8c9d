"""`safetyloop audit verify|anchor|export`: check the tamper-evident log, anchor it, hand it on."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ._actors import ActorOption
from ._common import MkdirOption, StoreOption, console, err_console, output_folder

app = typer.Typer(help="The tamper-evident audit log of every state change.", no_args_is_help=True)

WitnessOption = Annotated[
    Path | None,
    typer.Option(
        "--witness",
        help="Append-only file of chain heads kept outside the store (the key comes from "
        "SAFETYLOOP_AUDIT_KEY).",
        envvar="SAFETYLOOP_AUDIT_WITNESS",
    ),
]


@app.command("verify")
def verify_command(store: StoreOption = None, witness: WitnessOption = None) -> None:
    """Check the chain, its anchors and every verdict row it covers. Exit 0 when intact, 1
    naming the first broken link and what it covers."""
    from safetyloop.governance.audit import verify_audit

    result = verify_audit(store_url=store, witness=witness)
    if not result.ok:
        where = "" if result.first_bad_seq is None else f" at entry {result.first_bad_seq}"
        covers = f" (covers {result.covers})" if result.covers else ""
        err_console.print(f"audit log BROKEN{where}{covers}: {result.reason}", markup=False)
        raise typer.Exit(1)
    anchored = " and ".join(result.anchors) or "nothing"
    console.print(
        f"audit log intact: {result.count} entries, {result.rows} verdict rows covered, "
        f"anchored by {anchored}, head {result.head_hash}",
        markup=False,
    )
    for note in result.notes:
        err_console.print(f"note: {note}", markup=False)


@app.command("anchor")
def anchor_command(store: StoreOption = None, witness: WitnessOption = None) -> None:
    """Sign the current head with SAFETYLOOP_AUDIT_KEY and append it to the witness (a store
    written before it had anchors, or a head to record now). A broken chain is refused."""
    from safetyloop.governance.audit import anchor_audit

    _, head = anchor_audit(store_url=store, witness=witness)
    if head is None:
        console.print("audit log is empty: nothing to anchor")
        return
    signed = "signed" if head.mac else "not signed (no key)"
    console.print(f"anchored head: entry {head.seq} {head.head_hash}, {signed}", markup=False)


@app.command("export")
def export_command(
    file: Annotated[Path, typer.Argument(help="JSONL file to write.")],
    actor: ActorOption = None,
    mkdir: MkdirOption = False,
    store: StoreOption = None,
) -> None:
    """Write every entry as JSONL plus a sign-off line (exporter, time, count, head hash)."""
    from safetyloop.governance.audit import export_audit

    output_folder(file, mkdir=mkdir)

    summary = export_audit(file, exporter=actor, store_url=store)
    console.print(
        f"exported {summary.count} entries to {summary.path}, signed off by {summary.exporter} "
        f"(head {summary.head_hash})",
        markup=False,
    )
