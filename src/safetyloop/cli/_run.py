"""`safetyloop run`: constitution + target + sample size → a stored, scored, resumable run."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from safetyloop._redact import redact

from ._common import (
    ConstitutionOption,
    MaxTokensOption,
    StoreOption,
    TargetsFileOption,
    TimeoutOption,
    console,
)
from ._plan import ExpectedOption

if TYPE_CHECKING:
    from safetyloop.engine import CaseResult
    from safetyloop.store import RunInfo


class _RateColumn(ProgressColumn):
    """Cases per second over this invocation (Rich's windowed speed jumps with batching)."""

    def render(self, task: Task) -> Text:
        done = task.completed - task.fields.get("resumed", 0)
        elapsed = task.elapsed or 0.0
        return Text(f"{done / elapsed:.2f} cases/s" if elapsed > 0 and done else "- cases/s")


def run_command(
    target: Annotated[
        str,
        typer.Option(
            "--target",
            "-t",
            envvar="SAFETYLOOP_TARGET",
            help="local, openai:MODEL@URL, python:mod:fn, or a name from --targets-file.",
        ),
    ] = "local",
    constitution: ConstitutionOption = None,
    targets_file: TargetsFileOption = None,
    sample: Annotated[
        int | None,
        typer.Option(help="Cases per suite, stratified by category (default: all).", min=1),
    ] = None,
    plan_power: Annotated[
        float | None,
        typer.Option(
            help="Size each suite's sample from `safetyloop plan` at this power (instead of "
            "--sample): every criterion gets the scored cases it needs at its expected rate.",
        ),
    ] = None,
    expected: ExpectedOption = None,
    seed: Annotated[int, typer.Option(help="Sampling and generation seed.")] = 0,
    max_tokens: MaxTokensOption = 128,
    temperature: Annotated[float, typer.Option(min=0.0)] = 0.0,
    timeout: TimeoutOption = 120.0,
    attempts: Annotated[
        int,
        typer.Option(help="Attempts per case (429/5xx/timeouts are retried with backoff).", min=1),
    ] = 4,
    concurrency: Annotated[
        int | None,
        typer.Option(help="Requests in flight (default: the target's own limit).", min=1),
    ] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Ignore cached responses.")] = False,
    new: Annotated[
        bool,
        typer.Option(
            "--new", help="Start a new run instead of resuming an interrupted run of the same plan."
        ),
    ] = False,
    store: StoreOption = None,
) -> None:
    """Run the constitution's suites against a target, score them, and store every verdict.

    Run the same command again after an interruption to resume: finished cases are not sent
    to the target again.
    """
    from safetyloop.api import RunRequest, run
    from safetyloop.engine import RetryPolicy, RunnerSettings
    from safetyloop.targets import GenerateParams

    samples = _planned_samples(constitution, plan_power, expected, sample)
    request = RunRequest(
        target=target,
        constitution=constitution,
        targets_file=targets_file,
        sample=sample,
        suite_samples=samples,
        seed=seed,
        params=GenerateParams(max_tokens=max_tokens, temperature=temperature, seed=seed),
        runner=RunnerSettings(
            timeout_s=timeout,
            retry=RetryPolicy(max_attempts=attempts),
            concurrency=concurrency,
            use_cache=not no_cache,
            seed=seed,
        ),
        store_url=store,
        resume=not new,
    )
    outcomes: Counter[str] = Counter()
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        _RateColumn(),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    )
    task: list[TaskID] = []

    def on_start(total: int, done: int) -> None:
        if done:
            console.print(f"resuming: {done} of {total} cases already have a verdict")
        task.append(
            progress.add_task(
                f"running {redact(target)}", total=total, completed=done, resumed=done
            )
        )

    def on_result(result: CaseResult) -> None:
        outcomes["cached" if result.cached else result.status] += 1
        progress.advance(task[0])

    def on_wait(waiting_for: RunInfo) -> None:
        console.print(
            f"waiting: another process is running the same plan (run {waiting_for.id}); "
            "this one takes over what is left when it ends"
        )

    with progress:
        info = run(request, on_start=on_start, on_result=on_result, on_wait=on_wait)
    console.print(
        Text.assemble(
            "run ",
            (info.id, "bold"),
            f" finished: {outcomes['ok']} answered, {outcomes['cached']} from cache, "
            f"{outcomes['error']} errors (target {info.target_name} {info.target_version[:12]})",
        )
    )
    console.print(f"next: safetyloop gate {info.id}")


def _planned_samples(
    constitution: Path | None, power: float | None, expected: list[str] | None, sample: int | None
) -> dict[str, int] | None:
    """Per-suite samples from the power plan (`safetyloop.releases.run_samples`), or None."""
    from safetyloop.releases import parse_expected, run_samples

    planned = run_samples(
        constitution, power=power, expected=parse_expected(expected or []), sample=sample
    )
    if planned is None:
        return None
    for s in planned.suites.values():
        console.print(
            f"plan: {s.suite} {s.sample} of {s.size} cases (for {s.driven_by})"
            + (" — the suite is too small for the plan" if s.short else ""),
            markup=False,
        )
    for c in planned.plan.criteria:
        if c.needed is None:
            console.print(f"plan: {c.principle} {c.metric} cannot be sized: {c.note}", markup=False)
    return planned.samples
