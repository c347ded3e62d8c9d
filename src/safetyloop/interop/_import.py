"""Inspect logs → stored runs: one finished run a log, written in one transaction.

The task becomes suite `inspect:<task>` (versioned by the content of its cases), the model and
its generation config the target and its version, each Inspect scorer a scorer
`inspect:<name>`, and the log's provenance (file hash, eval id, task version, Inspect version)
the run's lineage. Importing the same file again finds the run it made.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from safetyloop._hashing import content_hash
from safetyloop.governance import audit
from safetyloop.interop._convert import PREFIX, SampleContext, convert
from safetyloop.interop._reader import InspectLog, InspectLogError, open_log
from safetyloop.store import EVALUATION, NewRun, RunInfo, Store
from safetyloop.store.interop import ImportedCase, find_imported, import_run
from safetyloop.suites import Expected

#: Where a run made from an Inspect log keeps the log's provenance.
LINEAGE_KEY = "inspect"
#: The log-directory manifest Inspect writes (`write_log_dir_manifest`): headers, not a log.
MANIFEST = "logs.json"


@dataclass(frozen=True)
class Imported:
    """What one log became: its run, how many cases (and errored samples), and whether the
    run was already there from an earlier import of the same file."""

    path: Path
    run: RunInfo
    cases: int
    errors: int
    existing: bool


def log_files(paths: Sequence[Path]) -> list[Path]:
    """The logs named: files as given, folders searched for `.eval` and `.json` logs (not
    Inspect's directory manifest, nor hidden files such as an unfinished export)."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(
                p
                for p in path.rglob("*")
                if p.suffix in (".eval", ".json")
                and p.name != MANIFEST
                and not p.name.startswith(".")
            )
        elif path.exists():
            found.append(path)
        else:
            raise InspectLogError(f"{path}: no such file or folder")
    if not found:
        raise InspectLogError(f"no .eval or .json logs in {', '.join(map(str, paths))}")
    return found


def import_inspect(
    paths: Sequence[Path], store: Store, *, expected: Expected = Expected.COMPLY
) -> list[Imported]:
    """Import every log under `paths` into `store`, one run a log.

    Every header is read (and its schema version checked) before anything is written; each
    log is then written in one transaction, so a bad sample leaves no part of its log stored.
    `expected` is the behaviour of samples whose metadata has no `expected` (refuse/comply).
    """
    logs = [open_log(p) for p in log_files(paths)]
    return [_import_one(log, store, expected) for log in logs]


def _import_one(log: InspectLog, store: Store, expected: Expected) -> Imported:
    plan_hash = content_hash({"inspect_log": log.sha256, "expected": expected.value})
    existing = find_imported(store, plan_hash)
    if existing is not None:
        return Imported(log.path, existing, len(store.run_cases(existing.id)), 0, True)
    spec = log.eval
    scorer_specs = {
        str(s["name"]): s
        for s in spec.get("scorers") or []
        if isinstance(s, dict) and s.get("name")
    }
    ctx = SampleContext(
        file=str(log.path),
        suite=f"{PREFIX}{spec.get('task') or log.path.stem}",
        expected=expected,
        scorer_specs=scorer_specs,
    )
    tally = _Tally()
    run = _new_run(log, ctx, plan_hash, tally)
    info = import_run(
        store, run, _checked(log, ctx, tally), lambda: _new_run(log, ctx, plan_hash, tally)
    )
    audit.record(
        store,
        "run.imported",
        {"run_id": info.id, "source": "inspect", "sha256": log.sha256, "file": str(log.path)},
    )
    return Imported(log.path, info, tally.cases, tally.errors, False)


class _Tally:
    """What the samples read so far add up to: case hashes, scorers seen, errors."""

    def __init__(self) -> None:
        self.hashes: list[str] = []
        self.scorers: dict[str, str] = {}
        self.seen: set[tuple[str, int]] = set()
        self.errors = 0

    @property
    def cases(self) -> int:
        return len(self.hashes)

    def add(self, item: ImportedCase) -> None:
        self.hashes.append(item.case.content_hash())
        self.errors += item.result.status == "error"
        for verdict in item.verdicts:
            self.scorers[verdict.scorer] = verdict.scorer_version


def _checked(log: InspectLog, ctx: SampleContext, tally: _Tally) -> Iterator[ImportedCase]:
    """Each sample, converted; then a check that none the log lists is missing."""
    for sample in log.samples():
        key = (str(sample.get("id")), int(sample.get("epoch") or 1))
        if key in tally.seen:
            raise InspectLogError(f"{log.path}: sample {key[0]!r} epoch {key[1]} appears twice")
        tally.seen.add(key)
        item = convert(sample, ctx)
        tally.add(item)
        yield item
    if not tally.seen:
        raise InspectLogError(
            f"{log.path}: the log has no samples",
            hint="run the eval with samples logged (the default; not --no-log-samples)",
        )
    missing = sorted(_listed(log) - tally.seen)
    if missing:
        shown = ", ".join(f"{i!r} epoch {e}" for i, e in missing[:5])
        more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        raise InspectLogError(
            f"{log.path}: {len(missing)} sample(s) the log lists are missing: {shown}{more}",
            hint="the file is incomplete; import the complete log",
        )


def _listed(log: InspectLog) -> set[tuple[str, int]]:
    """The (id, epoch) pairs the log says it holds: its summaries, else, for a finished log,
    the dataset's sample ids times the epochs."""
    if log.summaries is not None:
        return {(str(s.get("id")), int(s.get("epoch") or 1)) for s in log.summaries}
    if log.header.get("status") != "success":
        return set()
    ids = (log.eval.get("dataset") or {}).get("sample_ids") or []
    epochs = int((log.eval.get("config") or {}).get("epochs") or 1)
    return {(str(i), e) for i in ids for e in range(1, epochs + 1)}


def _new_run(log: InspectLog, ctx: SampleContext, plan_hash: str, tally: _Tally) -> NewRun:
    spec = log.eval
    target = {
        "kind": "inspect",
        "name": spec.get("model"),
        "model_generate_config": spec.get("model_generate_config") or {},
        "model_args": spec.get("model_args") or {},
        "model_base_url": spec.get("model_base_url"),
    }
    return NewRun(
        kind=EVALUATION,
        plan_hash=plan_hash,
        target_name=str(spec.get("model") or "unknown"),
        target_version=content_hash(target),
        constitution_hash="",
        scorer_versions=dict(sorted(tally.scorers.items())),
        suite_versions={ctx.suite: content_hash(sorted(tally.hashes))},
        lineage={
            "target": target,
            LINEAGE_KEY: _provenance(log),
            "params": {"expected": ctx.expected.value},
        },
    )


def _provenance(log: InspectLog) -> dict[str, Any]:
    spec = log.eval
    packages = spec.get("packages") or {}
    return {
        "file": str(log.path),
        "sha256": log.sha256,
        "schema_version": log.header.get("version"),
        "status": log.header.get("status"),
        "eval_id": spec.get("eval_id"),
        "run_id": spec.get("run_id"),
        "task": spec.get("task"),
        "task_id": spec.get("task_id"),
        "task_version": spec.get("task_version"),
        "task_file": spec.get("task_file"),
        "created": spec.get("created"),
        "inspect_version": packages.get("inspect_ai"),
        "epochs": (spec.get("config") or {}).get("epochs"),
        "scorers": spec.get("scorers") or [],
        "dataset": spec.get("dataset") or {},
    }


def inspect_lineage(info: RunInfo) -> dict[str, Any] | None:
    """The Inspect provenance of an imported run (None for a run safetyloop ran itself)."""
    found = info.lineage.get(LINEAGE_KEY)
    return found if isinstance(found, dict) else None
