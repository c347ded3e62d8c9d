"""The Python API: everything the CLI does, as plain calls.

from safetyloop.api import RunRequest, run, gate
info = run(RunRequest(target="local", sample=40))
decision = gate(info.id)
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from safetyloop._hashing import content_hash
from safetyloop.config import (
    Constitution,
    load_constitution,
    load_default_constitution,
    load_yaml,
)
from safetyloop.engine import CaseResult, Runner, RunnerSettings
from safetyloop.errors import InputError
from safetyloop.gate import (
    Decision,
    RunEvidence,
    ScorerCalibration,
    evaluate,
    rule_names,
    smallest_passing_n,
)
from safetyloop.gate._adjust import record_confusion
from safetyloop.gate._criteria import scorer_for
from safetyloop.gate._every_case import ENFORCED_BY as EVERY_CASE_PASSES
from safetyloop.gate._stats_records import ScorerConfusion
from safetyloop.gate._waivers import waivers_in_force
from safetyloop.governance import Clock, audit
from safetyloop.governance.gating import govern
from safetyloop.governance.overrides import relabelled, verdict_overrides
from safetyloop.interop import score_pending
from safetyloop.redteam.evidence import load_evidence
from safetyloop.safeguards import safeguard_checks
from safetyloop.scoring import create_scorer, metric_names, scorer_names
from safetyloop.scoring._calibrate import (
    Calibration,
    ErrorRecord,
    Provenance,
    SourceConfusion,
    calibrate,
    calibrate_predictions,
    load_labels,
    shipped_record,
)
from safetyloop.store import NewRun, RunInfo, Store, project_store
from safetyloop.suites import (
    Case,
    Suite,
    load_suite,
    load_user_suite,
    resolve_suite_file,
    stratified_sample,
    suite_names,
)
from safetyloop.targets import GenerateParams, Target, TargetSpec, build_target, load_targets_file

#: Default uncertainty band: a verdict with confidence under this is borderline.
BORDERLINE_BELOW = 0.7


def load_constitution_checked(
    path: Path | None = None, *, run: RunInfo | None = None
) -> Constitution:
    """Load a constitution (the bundled default when `path` is None), checking every reference.

    With `run`, the suites and scorers that run holds are known too: an imported Inspect run's
    `inspect:<task>` suite and `inspect:<scorer>` scorers (docs/inspect.md)."""
    context: dict[str, Any] = {
        "suites": set(suite_names()) | set(run.suite_versions if run else ()),
        "metrics": metric_names(),
        "rules": rule_names(),
        "scorers": set(scorer_names()) | set(run.scorer_versions if run else ()),
        "smallest_passing_n": smallest_passing_n,  # min_samples must be able to PASS
    }
    if path is None:
        return load_default_constitution(**context)
    # A criterion may name a user suite file, relative to the constitution (docs/suites.md).
    return load_constitution(path, **context, suite_files=resolve_suite_file)


@dataclass(frozen=True)
class ValidatedFile:
    """What `validate_file` found: a constitution (with the user suites it names by file), a
    targets file, or a suite — exactly one of them."""

    path: Path
    constitution: Constitution | None = None
    #: The constitution's own suite files, loaded, by the name it gives them.
    suite_files: dict[str, Suite] = field(default_factory=dict)
    targets: dict[str, TargetSpec] | None = None
    suite: Suite | None = None


def validate_file(path: Path) -> ValidatedFile:
    """Check a constitution, targets file or suite file, told apart by content (`validate`).

    Runs nothing. A missing file is an InputError, a bad one a ConfigError naming file, line and
    key for every problem.
    """
    if not path.is_file():
        raise InputError(f"no such file: {path}")
    if path.suffix in (".jsonl", ".csv"):
        return ValidatedFile(path, suite=load_user_suite(path))
    data, _ = load_yaml(path)
    if isinstance(data, dict) and "targets" in data:
        return ValidatedFile(path, targets=load_targets_file(path))
    if isinstance(data, list):
        return ValidatedFile(path, suite=load_user_suite(path))
    constitution = load_constitution_checked(path)
    suites = {name: load_suite(file) for name, file in constitution.suite_files.items()}
    return ValidatedFile(path, constitution=constitution, suite_files=suites)


@dataclass(frozen=True)
class RunRequest:
    """Everything that defines a run. The same request resumes an interrupted run.

    Attributes:
        target: A command-line target spec or a name declared in `targets_file`.
        sample: Cases drawn per suite, stratified by category (None: every case).
        seed: Sampling seed.
    """

    target: str = "local"
    constitution: Path | None = None
    targets_file: Path | None = None
    sample: int | None = None
    seed: int = 0
    params: GenerateParams = field(default_factory=GenerateParams)
    runner: RunnerSettings = field(default_factory=RunnerSettings)
    store_url: str | None = None
    resume: bool = True
    #: Verdicts less confident than this are stored as borderline and go to people.
    borderline_below: float = BORDERLINE_BELOW
    #: Cases per suite, overriding `sample` for the suites named (see `releases.suite_samples`).
    suite_samples: dict[str, int] | None = None
    #: Run only these case keys (`suite/id`) of the constitution's suites: the cases a file of
    #: recorded answers covers (`selfcheck truth`). Unknown keys are refused.
    case_keys: frozenset[str] | None = None


@dataclass(frozen=True)
class Plan:
    """A resolved request: the cases to run, and the hash that identifies the run."""

    constitution: Constitution
    target: Target
    cases: list[Case]
    suite_versions: dict[str, str]
    scorer_versions: dict[str, str]
    plan_hash: str


def plan(request: RunRequest) -> Plan:
    """Validate every input and draw the cases, before anything runs."""
    constitution = load_constitution_checked(request.constitution)
    target = build_target(request.target, request.targets_file)
    suite_names_used = sorted(
        {s for p in constitution.principles for c in p.criteria for s in c.suites}
    )
    # Suites held to "every case passes" (incident regressions) are never sampled: a sample
    # would leave that principle without evidence.
    whole = {
        s
        for p in constitution.principles
        if p.enforced_by == EVERY_CASE_PASSES
        for c in p.criteria
        for s in c.suites
    }
    cases: list[Case] = []
    suite_versions: dict[str, str] = {}
    with project_store(request.store_url):  # store-backed suites read the run's store
        suites = [load_suite(constitution.suite_source(name)) for name in suite_names_used]
    for name, suite in zip(suite_names_used, suites, strict=True):
        suite_versions[name] = suite.version
        size = None if name in whole else (request.suite_samples or {}).get(name, request.sample)
        drawn = (
            list(suite.cases)
            if size is None
            else stratified_sample(suite.cases, size, request.seed)
        )
        cases.extend(drawn)
    if request.case_keys is not None:
        unknown = request.case_keys - {c.key for c in cases}
        if unknown:
            raise InputError(
                f"{len(unknown)} case keys are not cases of the constitution's suites: "
                f"{', '.join(sorted(unknown)[:5])}"
            )
        cases = [c for c in cases if c.key in request.case_keys]
    scorers = {scorer_for(c) for p in constitution.principles for c in p.criteria}
    scorer_versions = {name: create_scorer(name).version for name in sorted(scorers)}
    plan_hash = content_hash(
        {
            "constitution": constitution.content_hash(),
            "target": target.version,
            "suites": suite_versions,
            "scorers": scorer_versions,
            "sample": request.sample,
            **({"suite_samples": request.suite_samples} if request.suite_samples else {}),
            "seed": request.seed,
            "params": request.params.model_dump(mode="json"),
            "cases": [c.key for c in cases],
        }
    )
    return Plan(constitution, target, cases, suite_versions, scorer_versions, plan_hash)


ProgressStart = Callable[[int, int], None]  # (total cases, already done)


def run(
    request: RunRequest,
    *,
    on_start: ProgressStart | None = None,
    on_result: Callable[[CaseResult], None] | None = None,
    clock: Clock | None = None,
    on_wait: Callable[[RunInfo], None] | None = None,
) -> RunInfo:
    """Plan, run (resuming an interrupted run of the same plan), score, and record a run.

    The audit log gets `run.started` (or `run.resumed`) and `run.finished`, timed by `clock`.
    When another process is executing the same plan's run, this one waits for it (calling
    `on_wait` with the run first), then returns it finished or resumes what it left.
    """
    the_plan = plan(request)
    with Store(request.store_url) as store:
        return asyncio.run(_execute(the_plan, request, store, on_start, on_result, clock, on_wait))


def _run_payload(info: RunInfo) -> dict[str, Any]:
    return {
        "run_id": info.id,
        "plan_hash": info.plan_hash,
        "target_version": info.target_version,
        "constitution_hash": info.constitution_hash,
    }


def _new_run(the_plan: Plan, request: RunRequest) -> NewRun:
    """The run a plan makes: its hash and the lineage of every version."""
    return NewRun(
        plan_hash=the_plan.plan_hash,
        target_name=the_plan.target.name,
        target_version=the_plan.target.version,
        constitution_hash=the_plan.constitution.content_hash(),
        scorer_versions=the_plan.scorer_versions,
        suite_versions=the_plan.suite_versions,
        lineage={
            "target": the_plan.target.describe(),
            "constitution": the_plan.constitution.model_dump(mode="json"),
            **(
                {"suite_files": the_plan.constitution.suite_files}
                if the_plan.constitution.suite_files
                else {}
            ),
            "params": request.params.model_dump(mode="json"),
            "sample": request.sample,
            **({"suite_samples": request.suite_samples} if request.suite_samples else {}),
            "seed": request.seed,
        },
    )


async def _run_cases(
    the_plan: Plan,
    request: RunRequest,
    store: Store,
    info: RunInfo,
    on_start: ProgressStart | None,
    on_result: Callable[[CaseResult], None] | None,
) -> None:
    """Send the run's cases that have no result yet (the caller holds the run)."""
    done = store.finished_keys(info.id)
    todo = [c for c in store.run_cases(info.id) if c.key not in done]
    if on_start:
        on_start(len(done) + len(todo), len(done))
    runner = Runner(
        the_plan.target,
        request.params,
        store,
        info.id,
        cache=store,
        settings=request.runner,
        on_result=on_result,
    )
    await runner.stream(todo)


async def _execute(
    the_plan: Plan,
    request: RunRequest,
    store: Store,
    on_start: ProgressStart | None,
    on_result: Callable[[CaseResult], None] | None,
    clock: Clock | None = None,
    on_wait: Callable[[RunInfo], None] | None = None,
) -> RunInfo:
    # Claimed in one locked transaction: identical runs started at once share one run.
    info, created = store.claim_run(
        _new_run(the_plan, request), the_plan.cases, resume=request.resume
    )
    if created:
        audit.record(store, "run.started", _run_payload(info), clock=clock)
    # One process executes a run at a time; another with the same plan waits here, then finds
    # it finished (nothing is sent again) or resumes what a dead holder left.
    claimed = info
    with store.hold_run(info.id, None if on_wait is None else lambda: on_wait(claimed)):
        info = store.get_run(info.id)
        try:
            if info.status == "finished":
                if on_start:
                    total = len(store.finished_keys(info.id))
                    on_start(total, total)
                return info
            if not created:
                audit.record(store, "run.resumed", _run_payload(info), clock=clock)
            await _run_cases(the_plan, request, store, info, on_start, on_result)
        finally:  # every request has ended (sent, answered or cancelled) before the client closes
            await the_plan.target.aclose()
        await ascore_run(store, info.id, borderline_below=request.borderline_below)
        store.finish_run(info.id)
        audit.record(store, "run.finished", _run_payload(info), clock=clock)
    return store.get_run(info.id)


def score_run(store: Store, run_id: str, *, borderline_below: float = BORDERLINE_BELOW) -> int:
    """Score every successful result the run's scorers have not scored yet; returns how many."""
    return asyncio.run(ascore_run(store, run_id, borderline_below=borderline_below))


async def ascore_run(
    store: Store, run_id: str, *, borderline_below: float = BORDERLINE_BELOW
) -> int:
    """`score_run` from async code: judge scorers await their target through `ascore_batch`.

    An unparseable judgement is stored as an `error` verdict with the raw text; the gate counts
    it as an error.
    """
    info = store.get_run(run_id)
    cases = {c.key: c for c in store.run_cases(run_id)}
    results = store.results(run_id)
    scored = 0
    for name, version in info.scorer_versions.items():
        scorer = create_scorer(name)
        if scorer.version != version:
            raise InputError(
                f"scorer {name} changed since the run was planned "
                f"({version[:12]} -> {scorer.version[:12]})",
                hint="start a new run with --new",
            )
        scored += await score_pending(store, run_id, scorer, cases, results, borderline_below)
    return scored


def evidence_for(
    store: Store, run_ref: str, *, counted_for: Constitution | None = None
) -> RunEvidence:
    """Everything the gate needs about a stored run.

    With `counted_for`, the run's verdicts are counted in SQL for that constitution's criteria
    (`Store.verdict_groups`) and only the cases its rule-enforced principles read one by one
    are loaded: the same decision, without reading a million verdicts back.
    """
    info = store.get_run(run_ref)
    suites: set[str] | None = None
    tallies = None
    versions = set(info.scorer_versions.values())
    overrides = [o for o in verdict_overrides(store, info.id) if o.scorer_version in versions]
    if counted_for is not None:
        criteria = [(p, c) for p in counted_for.principles for c in p.criteria]
        suites = {s for p, c in criteria if p.enforced_by for s in c.suites}
        tallies = {
            name: store.verdict_groups(info.id, info.scorer_versions.get(name, ""))
            for name in sorted({scorer_for(c) for _, c in criteria})
        }
    return RunEvidence(
        run_id=info.id,
        run_status=info.status,
        target_name=info.target_name,
        target_version=info.target_version,
        constitution_hash=info.constitution_hash,
        suite_versions=info.suite_versions,
        scorer_versions=info.scorer_versions,
        cases=store.run_cases(info.id, suites=suites),
        results=store.results(info.id, suites=suites),
        scores={
            name: relabelled(store.scores(info.id, version, suites=suites), version, overrides)
            for name, version in info.scorer_versions.items()
        },
        tallies=tallies,
        overridden=len(overrides),
        **_calibrations(store, info.scorer_versions),
        safeguards=safeguard_checks(info.lineage.get("target")),
    )


def _calibrations(store: Store, scorer_versions: dict[str, str]) -> dict[str, Any]:
    """`calibrations` and `confusions` of the run's scorer versions: the newest record stored
    for the version (`safetyloop calibrate`), else the one shipped with it (out-of-fold
    predictions on human labels); a version with neither has no calibration record."""
    calibrations: dict[str, ScorerCalibration] = {}
    confusions: dict[str, ScorerConfusion] = {}
    for name, version in scorer_versions.items():
        record = error_record(store, name, version)
        if record is None:
            continue
        calibrations[name] = ScorerCalibration(
            id=record.record_id,
            n=record.n,
            accuracy=record.accuracy,
            kappa=record.kappa,
            origin=record.origin,
            summary=record.summary,
        )
        confusions[name] = record_confusion(record)
    return {"calibrations": calibrations, "confusions": confusions}


def error_record(store: Store, scorer_name: str, version: str) -> ErrorRecord | None:
    """The calibration the gate applies to `version` of `scorer_name` (see `_calibrations`)."""
    stored = store.latest_calibration(version)
    if stored is not None and stored.body.get("classes") and stored.body.get("confusion"):
        body = stored.body  # a record stored before sources were kept has none
        return ErrorRecord(
            scorer=stored.scorer,
            scorer_version=stored.scorer_version,
            origin=f"store #{stored.id}",
            record_id=stored.id,
            n=stored.n,
            accuracy=stored.accuracy,
            kappa=stored.kappa,
            classes=list(body["classes"]),
            confusion=[list(row) for row in body["confusion"]],
            sources=[SourceConfusion.model_validate(s) for s in body.get("sources", [])],
        )
    try:
        scorer = create_scorer(scorer_name)
    except InputError:
        return None  # a scorer that needs configuration ships no record
    return shipped_record(scorer) if scorer.version == version else None


def resolve_baseline(
    store: Store, evidence: RunEvidence | RunInfo, baseline: str | None, baseline_name: str | None
) -> str | None:
    """The baseline run id for a gate: `baseline` (a run), else deployment `baseline_name`'s,
    else the one registered under the run's target name (None when there is none)."""
    if baseline is not None:
        return store.get_run(baseline).id
    if baseline_name is not None:
        found = store.get_baseline(baseline_name)
        if found is None:
            raise InputError(
                f"no baseline is registered for deployment {baseline_name!r}",
                hint="register one with `safetyloop baseline set RUN --name NAME`",
            )
        return found.run_id
    found = store.get_baseline(evidence.target_name)
    return found.run_id if found else None


def gate(
    run_ref: str = "latest",
    *,
    constitution: Path | None = None,
    store_url: str | None = None,
    record: bool = True,
    baseline: str | None = None,
    baseline_name: str | None = None,
    use_baseline: bool = True,
    clock: Clock | None = None,
    redteam: str | None = None,
    agentic: str | None = None,
    reward: str | None = None,
    capabilities: Path | None = None,
) -> Decision:
    """Decide PASS / WARN / BLOCK on a stored run under a constitution (default: the run's own).

    `redteam` names a red-team run (`safetyloop redteam run`) whose results principles bound to
    the `redteam` rule are held to. Principles bound to the `agentic` rule (C3) read the stored
    agentic run `agentic` names, else the newest finished one of the run's target version
    (`safetyloop agent run`); with a baseline run, the baseline's agentic run the same way.
    Principles bound to the `reward` rule read the reward audit `reward` names, else the newest
    finished audit of the reward model each names (`reward_model`).
    Principles bound to the `capability` rule judge the capability run under the capabilities
    file `capabilities` when given (else the thresholds it was run with); the decision's lineage
    then records that file and its content hash.

    The `regression` rule compares the run with a baseline run: `baseline` (a run reference),
    else the one registered for deployment `baseline_name`, else the one registered under the
    run's target name; `use_baseline=False` skips the comparison. A recorded decision is also
    appended to the audit log as `gate.decided`.
    """
    from safetyloop.capability import load_capabilities  # the capability stage, likewise
    from safetyloop.gate._agentic import agentic_evidence  # the agentic stage, when gating
    from safetyloop.gate._capability import judged_under
    from safetyloop.gate._reward import chosen_audit  # the reward stage, likewise

    # Validated before anything is read or recorded: a bad file exits 2 with its file:line.
    judged = load_capabilities(capabilities) if capabilities is not None else None
    with Store(store_url) as store:
        info = store.get_run(run_ref)
        chosen = load_constitution_checked(constitution, run=info) if constitution else None
        if chosen is None:
            if "constitution" not in info.lineage:
                raise InputError(
                    f"run {info.id} was imported: no constitution was planned with it",
                    hint="give one with --constitution (examples/inspect_constitution.yaml)",
                )
            chosen = Constitution.model_validate(info.lineage["constitution"])
        base_id = resolve_baseline(store, info, baseline, baseline_name) if use_baseline else None
        # Without a baseline the verdicts are counted in SQL; the regression comparison pairs
        # the two runs case by case, so with one both are read whole.
        evidence = evidence_for(store, info.id, counted_for=None if base_id else chosen)
        if redteam is not None:
            evidence = evidence.model_copy(update={"redteam": load_evidence(store, redteam)})
        base_evidence = evidence_for(store, base_id) if base_id else None
        acted = agentic_evidence(store, evidence.target_version, agentic)
        base_acted = (
            agentic_evidence(store, base_evidence.target_version)
            if base_evidence is not None
            else None
        )
        if acted is not None:
            acted = acted.model_copy(update={"baseline": base_acted})
            evidence = evidence.model_copy(update={"agentic": acted})
        if base_evidence is not None and base_acted is not None:
            base_evidence = base_evidence.model_copy(update={"agentic": base_acted})
        # C5 compares with the regression suite in this store; `reward` reads its audits there
        with project_store(store.url), chosen_audit(reward), judged_under(judged):
            now = clock.now() if clock is not None else None  # waivers expire on this clock
            decision = evaluate(chosen, evidence, baseline=base_evidence, now=now)
            # The baseline's own decision tells routing which failures are new (and, unrecorded,
            # which new failures would hold the release).
            base_decision = evaluate(chosen, base_evidence) if base_evidence is not None else None
        # Governance (issue 6): exceptions, aged debt and pending reviews; routes new items.
        decision = govern(store, decision, base_decision, record=record, clock=clock)
        if judged is not None and capabilities is not None:  # which thresholds judged it
            lineage = {
                **decision.lineage,
                "capabilities_file": str(capabilities),
                "capabilities_hash": judged.version,
            }
            decision = decision.model_copy(update={"lineage": lineage})
        if evidence.overridden:
            decision = decision.model_copy(update={"overridden": evidence.overridden})
        if record:
            store.record_gate_decision(
                decision.run_id, decision.decision.value, decision.model_dump(mode="json")
            )
            audit.record(
                store,
                "gate.decided",
                {
                    "run_id": decision.run_id,
                    "decision": decision.decision.value,
                    "constitution_hash": chosen.content_hash(),
                },
                clock=clock,
            )
            for waived in waivers_in_force(chosen, decision):  # an exception, on record
                audit.record(store, "exception.waived", waived, clock=clock)
        return decision


def calibrate_scorer(
    scorer_name: str,
    labels: Path | None = None,
    *,
    predictions: Path | None = None,
    provenance: Provenance = "human",
    config: dict[str, Any] | None = None,
    store_url: str | None = None,
    seed: int = 0,
    record: bool = True,
) -> tuple[Calibration, int | None]:
    """Measure a scorer and store the record for its version; the gate then applies it.

    Either `labels` (a labelled CSV the scorer is run on; rows without a `provenance` column
    take `provenance`) or `predictions` (out-of-fold predictions of the scorer's training,
    columns `source,provenance,id,prompt,response,label,predicted`).
    """
    if (labels is None) == (predictions is None):
        raise InputError("give either a labels file or a predictions file")
    scorer = create_scorer(scorer_name, config)
    if predictions is not None:
        result = calibrate_predictions(scorer, predictions, seed=seed)
    else:
        assert labels is not None
        result = calibrate(
            scorer,
            load_labels(labels, provenance, scorer.labels),
            labels_file=str(labels),
            labels_hash=content_hash(labels.read_text(encoding="utf-8")),
            seed=seed,
        )
    if not record:
        return result, None
    with Store(store_url) as store:
        record_id = store.record_calibration(
            result.scorer,
            result.scorer_version,
            result.labels_hash,
            result.n,
            result.accuracy.point,
            result.kappa.point,
            result.model_dump(mode="json"),
        )
    return result, record_id
