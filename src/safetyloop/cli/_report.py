"""`safetyloop report risk|critique`: the risk report, and reviewers' critiques of it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from safetyloop.errors import InputError

from ._actors import ActorOption
from ._common import StoreOption, console

app = typer.Typer(help="Reports: the sabotage risk report and reviewers' critiques.")
critique_app = typer.Typer(help="An external reviewer's critique of a recorded report, answered.")
app.add_typer(critique_app, name="critique")

_COLOURS = {"supported": "green", "weak": "dark_orange", "unsupported": "red"}


@app.command("risk")
def risk_command(
    output: Annotated[
        list[Path],
        typer.Option("--output", "-o", help="Report file: .html, .md, .json or .dot; repeatable."),
    ],
    pathways: Annotated[
        Path | None,
        typer.Option(help="Pathways YAML (default: the nine pathways of the pilot report)."),
    ] = None,
    target_version: Annotated[
        str | None,
        typer.Option("--target-version", help="The model version the report argues for."),
    ] = None,
    run: Annotated[
        str | None,
        typer.Option(help="Or: the version of this evaluation run (id, prefix or 'latest')."),
    ] = None,
    owner: Annotated[
        str | None, typer.Option(help="Owner of the debt freshness opens (default: --as).")
    ] = None,
    actor: ActorOption = None,
    store: StoreOption = None,
) -> None:
    """Argue every pathway from the store, write the report, record its hash in the audit log.

    Stale evidence, an expired attestation or a capability jump past a trigger opens an
    alignment-debt item (once); the gate ages it like any debt. Exit 0 when every pathway is
    supported, 1 otherwise (the report is written either way).
    """
    from safetyloop.governance import current_actor, env_clock
    from safetyloop.report import risk_formats, write_risk_report
    from safetyloop.risk import load_pathways
    from safetyloop.store import Store

    if (target_version is None) == (run is None):
        raise InputError("give exactly one of --target-version and --run")
    spec = load_pathways(pathways)  # a bad file or output name exits 2 before the store opens
    risk_formats(output)
    with Store(store) as db:
        written = write_risk_report(
            db,
            target_version=target_version or db.get_run(run or "latest").target_version,
            outputs=output,
            spec=spec,
            owner=owner,
            actor=actor or current_actor(),
            clock=env_clock(),
        )
    a = written.context.argument
    for p in a.pathways:
        line = Text(f"{p.status:<12}", style=_COLOURS[p.status])
        line.append(f" {p.name} ({sum(c.supported for c in p.claims)}/{len(p.claims)} claims)")
        console.print(line)
    for d in written.context.debt:
        console.print(f"debt {d.debt_id} ({d.state}): {d.description}")
    console.print(Text(f"conclusion: {a.status.upper()}", style=_COLOURS[a.status]))
    console.print(a.conclusion)
    for path, digest in written.files.items():
        console.print(f"wrote {path} (sha256 {digest[:16]}…)")
    console.print(
        f"recorded report {written.record.id} in the audit log (entry {written.record.audit_seq})"
    )
    raise typer.Exit(0 if a.status == "supported" else 1)


@app.command("verify")
def verify_command(
    path: Annotated[Path, typer.Argument(help="A report file (.html, .md, .json or .dot).")],
    store: StoreOption = None,
) -> None:
    """Check a report file against the audit log: exit 0 when a recorded report wrote exactly
    these bytes, 1 when none did (edited, or never recorded here)."""
    import hashlib

    from safetyloop.risk.records import reports_with_hash
    from safetyloop.store import Store

    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    with Store(store) as db:
        found = reports_with_hash(db, digest)
    for r, name in found:
        console.print(
            f"{path}: matches {name} of report {r.id} ({r.target_version[:12]}, {r.status}), "
            f"recorded by {r.recorded_by} at {r.recorded_at:%Y-%m-%d %H:%M} UTC, "
            f"audit entry {r.audit_seq}"
        )
    if not found:
        console.print(f"{path}: sha256 {digest[:16]}… matches no recorded risk report")
        raise typer.Exit(1)


@critique_app.command("add")
def critique_add(
    report_id: Annotated[str, typer.Argument(help="The recorded report's id (rr-…).")],
    text: Annotated[str, typer.Option(help="The critique.")],
    actor: ActorOption = None,
    store: StoreOption = None,
) -> None:
    """Attach a reviewer's critique to a recorded report (audited as the reviewer)."""
    from safetyloop.governance import current_actor, env_clock
    from safetyloop.risk.records import add_critique
    from safetyloop.store import Store

    with Store(store) as db:
        c = add_critique(
            db, report_id, text=text, reviewer=actor or current_actor(), clock=env_clock()
        )
    console.print(f"critique {c.id} by {c.reviewer} on report {c.report_id}")


@critique_app.command("answer")
def critique_answer(
    critique_id: Annotated[str, typer.Argument(help="The critique's id (crit-…).")],
    text: Annotated[str, typer.Option(help="The answer.")],
    actor: ActorOption = None,
    store: StoreOption = None,
) -> None:
    """Answer a critique; the next report of that version shows both."""
    from safetyloop.governance import current_actor, env_clock
    from safetyloop.risk.records import answer_critique
    from safetyloop.store import Store

    with Store(store) as db:
        c = answer_critique(
            db, critique_id, text=text, actor=actor or current_actor(), clock=env_clock()
        )
    console.print(f"critique {c.id}: {len(c.answers)} answer(s)")


@critique_app.command("list")
def critique_list(
    report_id: Annotated[str | None, typer.Argument(help="Only this report's.")] = None,
    store: StoreOption = None,
) -> None:
    """Critiques with their answers, oldest first."""
    from safetyloop.risk.records import list_critiques
    from safetyloop.store import Store

    with Store(store) as db:
        found = list_critiques(db, report_id)
    for c in found:
        console.print(
            f"{c.id} on {c.report_id} by {c.reviewer} ({c.at:%Y-%m-%d %H:%M} UTC): {c.text}"
        )
        for ans in c.answers or [{"by": "-", "text": "(unanswered)"}]:
            console.print(f"  ↳ {ans['by']}: {ans['text']}")
