"""`safetyloop reward`: train the offline reward model, audit a reward model with paired
probes (flip rates with intervals, trivial-baseline verdicts, a plot per family), show an
audit and compare it with the previous model's."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich import box
from rich.table import Table

from safetyloop.errors import InputError

from ._actors import ActorOption, RolesOption
from ._common import (
    ConstitutionOption,
    JsonOption,
    StoreOption,
    console,
    err_console,
    split_csv,
)

app = typer.Typer(
    help="Reward models: train the offline one, audit any one with paired probes, show.",
    no_args_is_help=True,
)

ModelOption = Annotated[
    str,
    typer.Option(
        "--model",
        "-m",
        help="offline, python:module:function, http://HOST/PATH (JSON shape in docs/reward.md) "
        "or hf:PATH.",
    ),
]


@app.command("train")
def train_command(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the trained bundle.")],
    seed: Annotated[int, typer.Option(help="Seed of the subsample, init and batch order.")] = 0,
    max_pairs: Annotated[
        int, typer.Option(help="Training pairs used (0: all 1,826 left after the hold-out).")
    ] = 0,
    epochs: Annotated[int, typer.Option(help="Passes over the training pairs.", min=1)] = 1,
    layers: Annotated[int, typer.Option(help="MiniLM layers kept (of 6).", min=1, max=6)] = 2,
) -> None:
    """Train the MiniLM cross-encoder reward model (Bradley–Terry) on HH-RLHF harmless-base."""
    from safetyloop.reward.training import TrainSettings, train

    settings = TrainSettings(layers=layers, epochs=epochs, max_pairs=max_pairs)
    report = train(out, settings, seed, lambda line: err_console.print(line))
    console.print(
        f"held-out pairwise accuracy {report.heldout_accuracy:.3f} "
        f"[{report.heldout_low:.3f}, {report.heldout_high:.3f}] on {report.heldout_pairs} pairs "
        f"(trained on {report.train_pairs}, {report.seconds:.0f} s); weights "
        f"{report.weights_sha256[:12]} in {out}"
    )
    console.print(f"audit it with: safetyloop reward audit --model minilm:{out}")


@app.command("audit")
def audit_command(
    model: ModelOption = "offline",
    out: Annotated[
        Path,
        typer.Option(
            "--out", "-o", help="Folder for audit.json, report.md, report.html and plots."
        ),
    ] = Path("reward-audit"),
    families: Annotated[
        str, typer.Option(help="Comma-separated probe families ('' for all).")
    ] = "",
    limit: Annotated[int, typer.Option(help="Source prompts per family, at most.", min=2)] = 100,
    seed: Annotated[int, typer.Option(help="Seed of every transformation and order.")] = 0,
    previous: Annotated[
        Path | None,
        typer.Option(
            help="A previous audit.json to compare with (default: the store's newest audit of "
            "another reward model on the same probes)."
        ),
    ] = None,
    store: StoreOption = None,
    as_json: JsonOption = False,
) -> None:
    """Probe a reward model into the store; write its report; print each family's figures."""
    from safetyloop.reward import audit_stored, load_audit, previous_audit, save_audit, write_report
    from safetyloop.store import Store

    before = load_audit(previous) if previous is not None else None  # fail before running
    with Store(store) as opened:
        data = audit_stored(
            opened,
            model,
            split_csv(families) or None,
            seed=seed,
            limit=limit,
            progress=lambda line: err_console.print(line),
        )
        if before is None:
            before = previous_audit(opened, data)
    save_audit(data, out / "audit.json")
    markdown = write_report(data, out)
    _print(data, before, as_json)
    if not as_json:
        console.print(
            f"reward audit {data['run_id']} stored; wrote {out / 'audit.json'} and {markdown} "
            "(one plot a family)"
        )


@app.command("show")
def show_command(
    ref: Annotated[
        str, typer.Argument(help="A stored audit (id, prefix or 'latest') or an audit.json.")
    ] = "latest",
    previous: Annotated[
        str | None, typer.Option(help="Another audit (id, prefix or audit.json) to compare with.")
    ] = None,
    store: StoreOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show an audit's figures (and the changes since a previous one)."""
    from safetyloop.store import Store

    with Store(store) as opened:
        data = _find(opened, ref)
        before = _find(opened, previous) if previous is not None else None
    _print(data, before, as_json)


@app.command("debt")
def debt_command(
    family: Annotated[str, typer.Option(help="The probe family whose finding is the gap.")],
    principle: Annotated[str, typer.Option(help="The principle the gap is against.")],
    owner: Annotated[str, typer.Option(help="Who must clear it.")],
    ref: Annotated[str, typer.Argument(help="Stored reward audit (id, prefix or 'latest').")] = (
        "latest"
    ),
    severity: Annotated[str, typer.Option(help="critical, high, medium or low.")] = "high",
    actor: ActorOption = None,
    roles: RolesOption = None,
    store: StoreOption = None,
    constitution: ConstitutionOption = None,
) -> None:
    """Open a debt item for one family's finding of a stored audit (`debt add` with the
    finding as its description and the audit as its evidence)."""
    from safetyloop.reward import load_stored_audit, verdict
    from safetyloop.store import Store

    from ._debt import add_command

    with Store(store) as db:
        data = load_stored_audit(db, ref)
    fam = next((f for f in data["families"] if f["family"] == family), None)
    if fam is None or fam["flip_rate"] is None:
        raise InputError(f"reward audit {data['run_id']} has no measured family {family!r}")
    rate = fam["flip_rate"]
    add_command(
        principle=principle,
        severity=severity,
        description=(
            f"reward model {data['model']} prefers the worse answer on {family} probes "
            f"({fam['taxonomy']}): flip rate {rate['point']:.1%} [{rate['low']:.1%}, "
            f"{rate['high']:.1%}], {fam['flips']}/{fam['pairs'] - fam['errors']} probes; "
            f"baselines: {verdict(fam)}"
        ),
        owner=owner,
        evidence=[f"reward_audits={data['run_id']}"],
        actor=actor,
        roles=roles,
        store=store,
        constitution=constitution,
    )


def _find(store: Any, ref: str) -> dict[str, Any]:
    from safetyloop.reward import load_audit, load_stored_audit

    path = Path(ref)
    return (
        load_audit(path)
        if ref.endswith(".json") or path.is_file()
        else (load_stored_audit(store, ref))
    )


def _print(data: dict[str, Any], before: dict[str, Any] | None, as_json: bool) -> None:
    from safetyloop.reward import compare_audits, verdict

    changes = compare_audits(data, before) if before is not None else []
    if as_json:
        payload = {**data, "changes": [_change(c) for c in changes]}
        payload["families"] = [
            {k: v for k, v in f.items() if k not in ("margins", "verdicts")}
            for f in data["families"]
        ]
        console.print_json(json.dumps(payload))
        return
    table = Table(title=f"reward audit: {data['model']}", box=box.SIMPLE)
    for column in (
        "family",
        "taxonomy",
        "pairs",
        "errors",
        "flip rate [95%]",
        "gain / 100 words",
        "trivial baselines",
    ):
        table.add_column(column)
    for fam in data["families"]:
        rate = fam["flip_rate"]
        slope = fam["gain_per_100_words"]
        table.add_row(
            fam["family"],
            fam["taxonomy"],
            str(fam["pairs"]),
            str(fam["errors"]),
            f"{rate['point']:.2f} [{rate['low']:.2f}, {rate['high']:.2f}]" if rate else "—",
            f"{slope['point']:+.3f} [{slope['low']:+.3f}, {slope['high']:+.3f}]" if slope else "—",
            verdict(fam),
        )
    console.print(table)
    for note in data.get("notes", []):
        console.print(f"note: {note}")
    if before is not None:
        console.print(f"against {before['model']} ({before.get('run_id', 'file')}), paired:")
    for c in changes:
        tag = "REGRESSED" if c.regressed else "improved" if c.improved else "no significant change"
        d = c.result.difference
        console.print(
            f"  {c.family}: flip rate {c.before:.2f} -> {c.after:.2f}, difference {d.point:+.2f} "
            f"[{d.low:+.2f}, {d.high:+.2f}]: {tag}"
        )


def _change(c: Any) -> dict[str, Any]:
    d = c.result.difference
    return {
        "family": c.family,
        "before": c.before,
        "after": c.after,
        "difference": [d.point, d.low, d.high],
        "regressed": c.regressed,
        "improved": c.improved,
    }
