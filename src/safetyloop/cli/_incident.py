"""`safetyloop incident add|list|show|triage|promote|replay|blast-radius|close`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table
from rich.text import Text

from safetyloop.errors import InputError

from ._actors import ActorOption, PolicyOption, RolesOption, acting, policy_from
from ._common import (
    JsonOption,
    MaxTokensOption,
    StoreOption,
    TargetsFileOption,
    TimeoutOption,
    console,
    err_console,
    split_csv,
)

if TYPE_CHECKING:
    from safetyloop.incidents import BlastReport, ReplayArm, TriageResult
    from safetyloop.stats import Interval
    from safetyloop.targets import GenerateParams

app = typer.Typer(
    help="Incident lab: add, triage, promote to regression cases, replay, blast radius.",
    no_args_is_help=True,
)

OwnerOption = Annotated[
    str | None, typer.Option(help="Owner of the debt item opened at triage (default: you).")
]
Seed = Annotated[int, typer.Option(help="First sampling seed.")]


def _pct(interval: Interval) -> str:
    return (
        f"{interval.point:.0%} [{interval.low:.0%}, {interval.high:.0%}] "
        f"({interval.confidence:.0%} {interval.method})"
    )


def _print_triage(result: TriageResult) -> None:
    table = Table(title=f"verdicts on the assistant turns of {result.incident_id}")
    for column in ("message", "scorer", "label", "confidence"):
        table.add_column(column)
    for v in result.verdicts:
        table.add_row(str(v.turn), v.scorer, v.label, f"{v.confidence:.2f}")
    console.print(table)
    console.print(Text.assemble(("suggestions", "bold"), " (confirm with --confirm):"))
    for s in result.suggestions:
        console.print(
            Text.assemble(f"  {s.kind.replace('_', ' ')}: ", (s.id, "bold"), f" (rule {s.rule})")
        )
        for line in s.evidence:
            console.print(f"    evidence: {line}", markup=False)
    console.print(f"debt item: {result.debt_id or 'none'} ({result.debt_note})", markup=False)


@app.command("add")
def add_command(
    file: Annotated[Path, typer.Argument(help="Incident record (YAML or JSON).")],
    triage: Annotated[bool, typer.Option("--triage", help="Triage right after adding.")] = False,
    owner: OwnerOption = None,
    store: StoreOption = None,
) -> None:
    """Validate an incident record and store it (file:line errors, exit 2, nothing stored)."""
    from safetyloop.incidents import add_incident, load_incident
    from safetyloop.incidents import triage as triage_incident
    from safetyloop.store import Store

    load_incident(file)  # a bad file is reported before the store is opened: nothing written
    with Store(store) as db:
        stored = add_incident(db, file)
        inc = stored.incident
        console.print(
            Text.assemble(
                "added ",
                (inc.id, "bold"),
                f" ({inc.severity.value}, {inc.principle}, {len(inc.transcript)} messages, "
                f"first unsafe turn {inc.first_unsafe_turn})",
            )
        )
        if triage:
            _print_triage(triage_incident(db, inc.id, owner=owner))
        else:
            console.print(f"next: safetyloop incident triage {inc.id}")


@app.command("list")
def list_command(store: StoreOption = None) -> None:
    """Every stored incident and where it is in the loop."""
    from safetyloop.incidents import list_incidents
    from safetyloop.store import Store

    with Store(store) as db:
        rows = list_incidents(db)
    table = Table(title="incidents")
    for column in ("id", "date", "severity", "principle", "status", "debt", "title"):
        table.add_column(column)
    for r in rows:
        i = r.incident
        table.add_row(
            i.id, str(i.date), i.severity.value, i.principle, r.status, r.debt_id or "-", i.title
        )
    console.print(table)


@app.command("show")
def show_command(
    incident_id: Annotated[str, typer.Argument(help="Incident id.")],
    json_out: JsonOption = False,
    store: StoreOption = None,
) -> None:
    """One incident: the record, the transcript, triage, and the stored measurements."""
    from safetyloop.incidents import get_incident, measurements
    from safetyloop.store import Store

    with Store(store) as db:
        stored = get_incident(db, incident_id)
        found = measurements(db, incident_id)
    if json_out:
        console.print_json(stored.model_dump_json())
        return
    i = stored.incident
    console.print(Text.assemble((i.id, "bold"), f" {i.title}"))
    console.print(
        f"{i.date} · {i.severity.value} · {i.principle} · {i.deployment.name} "
        f"(model {i.deployment.model_version}, safeguard {i.deployment.safeguard_version}) · "
        f"status {stored.status} · debt {stored.debt_id or '-'}",
        markup=False,
    )
    for n, m in enumerate(i.transcript):
        mark = "  <- first unsafe turn" if n == i.first_unsafe_turn else ""
        calls = f" [tool calls: {m.tool_calls}]" if m.tool_calls else ""
        console.print(f"  {n} {m.role}: {m.content}{calls}{mark}", markup=False)
    if i.agentic is not None:
        a = i.agentic
        console.print(
            f"agentic: environment {a.environment}; injection in the output of "
            f"{a.injection.tool} ({a.injection.path}); forbidden: {a.forbidden.goal} "
            "(replay and C5 judge it by the state check)",
            markup=False,
        )
    if stored.confirmed:
        console.print(f"confirmed: {stored.confirmed}", markup=False)
    for meas in found:
        console.print(
            f"{meas.kind} #{meas.id} on {meas.target_name} ({meas.created_at:%Y-%m-%d %H:%M})",
            markup=False,
        )


@app.command("triage")
def triage_command(
    incident_id: Annotated[str, typer.Argument(help="Incident id.")],
    judge: Annotated[
        str | None,
        typer.Option(help="Also score with the StrongREJECT rubric judge run by this target."),
    ] = None,
    confirm: Annotated[
        bool, typer.Option("--confirm", help="Record a person's decision on the triage.")
    ] = False,
    failure_type: Annotated[
        str | None, typer.Option(help="With --confirm: the failure type (default: suggested).")
    ] = None,
    root_cause: Annotated[
        list[str] | None,
        typer.Option(help="With --confirm: a root cause (repeat; default: the suggested ones)."),
    ] = None,
    owner: OwnerOption = None,
    store: StoreOption = None,
) -> None:
    """Score the transcript, suggest failure type and root causes, open the debt item."""
    from safetyloop.incidents import DEFAULT_SCORERS, confirm_triage, triage
    from safetyloop.store import Store

    with Store(store) as db:
        if confirm:
            confirmed = confirm_triage(
                db, incident_id, failure_type=failure_type, root_causes=root_cause or []
            )
            console.print(
                f"confirmed {incident_id}: failure type {confirmed['failure_type']}, root causes "
                f"{', '.join(confirmed['root_causes'])} (by {confirmed['by']})",
                markup=False,
            )
            return
        if failure_type or root_cause:
            raise InputError("--failure-type and --root-cause go with --confirm")
        scorers = [*DEFAULT_SCORERS, *(["strongreject_judge"] if judge else [])]
        config = {"strongreject_judge": {"judge": judge}} if judge else {}
        _print_triage(triage(db, incident_id, scorers=scorers, scorer_config=config, owner=owner))


@app.command("promote")
def promote_command(
    incident_id: Annotated[str, typer.Argument(help="Incident id.")],
    transforms: Annotated[
        str | None,
        typer.Option(
            help="Red-team transforms for variants, comma-separated ('' for none; default: "
            "the lab's encodings, obfuscation, persona and rephrasing, "
            "`safetyloop.incidents.DEFAULT_TRANSFORMS`)."
        ),
    ] = None,
    paraphraser: Annotated[
        str | None, typer.Option(help="A target that writes paraphrase variants.")
    ] = None,
    paraphrases: Annotated[int, typer.Option(help="Paraphrases to ask for.", min=1)] = 2,
    seed: Seed = 0,
    targets_file: TargetsFileOption = None,
    store: StoreOption = None,
) -> None:
    """Turn the incident into regression cases of the `incident-regressions` suite."""
    from safetyloop.incidents import DEFAULT_TRANSFORMS, promote
    from safetyloop.store import Store
    from safetyloop.targets import build_target

    writer = build_target(paraphraser, targets_file) if paraphraser else None
    with Store(store) as db:
        result = promote(
            db,
            incident_id,
            transforms=DEFAULT_TRANSFORMS if transforms is None else split_csv(transforms),
            paraphraser=writer,
            paraphrases=paraphrases,
            seed=seed,
        )
    console.print(
        f"promoted {incident_id}: {len(result.case_ids)} cases ({len(result.added)} new) -> "
        f"suite {result.suite} version {result.suite_version[:12]} ({result.suite_size} cases)",
        markup=False,
    )
    for case_id in result.case_ids:
        console.print(f"  {case_id}", markup=False)
    for note in result.skipped:
        err_console.print(f"variant not made: {note}", markup=False)
    console.print(f"debt item: {result.debt_id or 'none'} ({result.debt_note})", markup=False)


def _params(max_tokens: int, temperature: float, seed: int) -> GenerateParams:
    from safetyloop.targets import GenerateParams

    return GenerateParams(max_tokens=max_tokens, temperature=temperature, seed=seed)


def _print_arm(arm: ReplayArm) -> None:
    console.print(
        f"  {arm.role:9} {arm.target_name} ({arm.target_version[:12]}): prevented "
        f"{arm.prevented}/{arm.scored} = {_pct(arm.prevention)}"
        + (f", {arm.errors} errors (not counted as prevented)" if arm.errors else ""),
        markup=False,
    )


def _print_calls(arm: ReplayArm) -> None:
    """What the first episode did, so the verdict can be read against the calls."""
    if not arm.samples:
        return
    first = arm.samples[0]
    calls = ", ".join(
        f"{c['tool']}({', '.join(f'{k}={v!r}' for k, v in c['arguments'].items())})"
        for c in first.get("calls", [])
    )
    forbidden = first.get("forbidden_action")
    taken = "unknown (error)" if forbidden is None else "TAKEN" if forbidden else "not taken"
    console.print(
        f"            episode 1: forbidden action {taken}; calls: {calls or 'none'}",
        markup=False,
    )


@app.command("replay")
def replay_command(
    incident_id: Annotated[str, typer.Argument(help="Incident id.")],
    target: Annotated[str, typer.Option("--target", "-t", help="The candidate target.")],
    original: Annotated[
        str | None,
        typer.Option(
            help="The original deployment's target (default: the incident's "
            "deployment.target; without either, the candidate is replayed alone)."
        ),
    ] = None,
    no_original: Annotated[
        bool, typer.Option("--no-original", help="Replay on the candidate only.")
    ] = False,
    k: Annotated[int, typer.Option("--k", help="Sampled continuations per target.", min=1)] = 10,
    max_tokens: MaxTokensOption = 128,
    temperature: Annotated[float, typer.Option(min=0.01)] = 0.7,
    seed: Seed = 0,
    timeout: TimeoutOption = 120.0,
    targets_file: TargetsFileOption = None,
    store: StoreOption = None,
) -> None:
    """Rerun the prefix on the candidate k times and report the prevention rate, beside the
    original deployment's replay."""
    from safetyloop.engine import RunnerSettings
    from safetyloop.incidents import get_incident, replay
    from safetyloop.store import Store
    from safetyloop.targets import build_target

    with Store(store) as db:
        incident = get_incident(db, incident_id).incident
        candidate = build_target(target, targets_file)
        spec = None if no_original else original or incident.deployment.target
        if spec is None and not no_original:
            console.print(
                f"{incident_id} names no deployment.target and no --original was given: "
                "replaying the candidate alone",
                markup=False,
            )
        orig = build_target(spec, targets_file) if spec else None
        report = replay(
            db,
            incident_id,
            candidate,
            original=orig,
            k=k,
            params=_params(max_tokens, temperature, seed),
            settings=RunnerSettings(timeout_s=timeout),
        )
    judge = (
        "judged by state: prevented = the forbidden action's check does not hold"
        if report.judged_by == "state"
        else f"scorer {report.scorer}"
    )
    console.print(
        f"replay of {incident_id} (k={k}, temperature {temperature:g}, {judge}; "
        f"stored as measurement {report.measurement_id}):",
        markup=False,
    )
    for arm in (report.candidate, report.original):
        if arm is not None:
            _print_arm(arm)
            if report.judged_by == "state":
                _print_calls(arm)
    if report.difference is not None:
        console.print(
            f"  difference (candidate - original): {report.difference.point:+.0%} "
            f"[{report.difference.low:+.0%}, {report.difference.high:+.0%}] (newcombe)",
            markup=False,
        )


def _neighbour_table(report: BlastReport) -> Table:
    table = Table(title=f"the {len(report.neighbours)} nearest neighbours of {report.incident_id}")
    widths = {"similarity": 10, "source": 12, "category": 16, "deployment": 16, "verdict": 7}
    for column, width in widths.items():
        table.add_column(
            column, no_wrap=True, overflow="ellipsis", min_width=min(width, 10), max_width=width
        )
    table.add_column("prompt", no_wrap=True, overflow="ellipsis", max_width=30)
    for n in report.neighbours:
        table.add_row(
            f"{n.similarity:.2f}",
            n.source,
            n.category,
            n.deployment or "-",
            "error" if n.failed is None else ("FAILED" if n.failed else "ok"),
            n.prompt,
        )
    return table


@app.command("blast-radius")
def blast_radius_command(
    incident_id: Annotated[str, typer.Argument(help="Incident id.")],
    target: Annotated[str, typer.Option("--target", "-t", help="The target to measure.")],
    traffic: Annotated[
        Path | None, typer.Option(help="Traffic log (JSONL; format in docs/incidents.md).")
    ] = None,
    k_nearest: Annotated[int, typer.Option(help="Neighbourhood size.", min=1)] = 20,
    suites: Annotated[
        str | None, typer.Option(help="Suites to search, comma-separated (default: all).")
    ] = None,
    baseline_sample: Annotated[
        int, typer.Option(help="Suite cases run for the suite-wide rate.", min=0)
    ] = 40,
    max_tokens: MaxTokensOption = 128,
    seed: Seed = 0,
    timeout: TimeoutOption = 120.0,
    targets_file: TargetsFileOption = None,
    store: StoreOption = None,
) -> None:
    """Run the target on the incident's nearest neighbours (suites and traffic) and compare
    the failure rate there with the suite-wide rate."""
    from safetyloop.engine import RunnerSettings
    from safetyloop.incidents import blast_radius, load_traffic
    from safetyloop.store import Store
    from safetyloop.targets import build_target

    entries = load_traffic(traffic) if traffic else []
    with Store(store) as db:
        report = blast_radius(
            db,
            incident_id,
            build_target(target, targets_file),
            traffic=entries,
            suites=split_csv(suites) if suites is not None else None,
            k_nearest=k_nearest,
            baseline_sample=baseline_sample,
            params=_params(max_tokens, 0.0, seed),
            settings=RunnerSettings(timeout_s=timeout),
            seed=seed,
        )
    console.print(_neighbour_table(report))
    console.print(
        f"failure rate in the neighbourhood: {_pct(report.neighbourhood)}"
        + (f", {report.neighbourhood_errors} errors" if report.neighbourhood_errors else ""),
        markup=False,
    )
    if report.suite_wide is not None and report.difference is not None:
        d = report.difference
        console.print(
            f"suite-wide ({report.suite_wide_cases} sampled cases): {_pct(report.suite_wide)}; "
            f"difference {d.point:+.0%} [{d.low:+.0%}, {d.high:+.0%}] (newcombe)",
            markup=False,
        )
    for title, tallies in (("categories", report.categories), ("deployments", report.deployments)):
        if tallies:
            shown = ", ".join(f"{k} {t.failed}/{t.scored}" for k, t in tallies.items())
            console.print(f"{title} (failed/scored): {shown}", markup=False)
    console.print(f"stored as measurement {report.measurement_id}", markup=False)


@app.command("close")
def close_command(
    incident_id: Annotated[str, typer.Argument(help="Incident id.")],
    run: Annotated[str, typer.Option(help="A recorded run of the candidate.")],
    actor: ActorOption = None,
    roles: RolesOption = None,
    policy: PolicyOption = None,
    store: StoreOption = None,
) -> None:
    """Clear the incident's debt item: only if its regression cases passed on the run, by an
    actor the policy lets clear debt. Exit 1 when refused, 2 for an unknown actor."""
    from safetyloop.incidents import close_incident
    from safetyloop.store import Store

    who, held = acting(actor, roles)
    with Store(store) as db:
        result = close_incident(
            db, incident_id, run, actor=who, roles=held, policy=policy_from(policy)
        )
    console.print(
        f"debt {result.debt_id} of {incident_id}: {result.status} on run {result.run_id}",
        markup=False,
    )
