"""`safetyloop audit verify|export`: check the tamper-evident log, and hand it to auditors."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ._actors import ActorOption
from ._common import MkdirOption, StoreOption, console, err_console, output_folder

app = typer.Typer(help="The tamper-evident audit log of every state change.", no_args_is_help=True)


@app.command("verify")
def verify_command(store: StoreOption = None) -> None:
    """Check the whole hash chain. Exit 0 when intact, 1 naming the first bad entry."""
    from safetyloop.governance.audit import verify_audit

    result = verify_audit(store_url=store)
    if not result.ok:
        err_console.print(
            f"audit log BROKEN at entry {result.first_bad_seq}: {result.reason}", markup=False
        )
        raise typer.Exit(1)
    console.print(f"audit log intact: {result.count} entries, head {result.head_hash}")


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
