"""Identical runs started at once (or staggered) as separate processes against one store, and
what they left behind; shared by `tests/store/test_concurrent_runs.py` and
`bench/concurrent_runs.py`.

Each process is the real CLI (`python -m safetyloop run`) on a python: target that answers at
once and logs every request (`tests/doubles/counting_target.py`). The response cache is off
unless asked for, so that only the runs' cooperation can keep a case from being sent twice.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text
from tests.constitutions import one_principle

from safetyloop.governance.audit import verify_audit

ROOT = Path(__file__).resolve().parents[2]
TARGET = "python:tests.doubles.counting_target:counting_complier"
CONSTITUTION = one_principle("concurrent-runs", threshold=0.05, min_samples=73, scorer=None)


@dataclass(frozen=True)
class Outcome:
    """What several identical runs left: the figures issue 20 asks for, and the evidence."""

    processes: int
    exit_codes: list[int]
    runs: int
    cases: int
    #: Planned cases with no result.
    lost: int
    #: Cases sent more than once, plus results or verdicts stored twice for one case.
    duplicated: int
    #: Results stored as errors (the target never fails: every error is spurious).
    spurious_errors: int
    sent: int
    audit_ok: bool
    output: str

    @property
    def clean(self) -> bool:
        return (
            set(self.exit_codes) == {0}
            and (self.lost, self.duplicated, self.spurious_errors) == (0, 0, 0)
            and self.audit_ok
        )


def start_runs(
    folder: Path,
    store_url: str,
    *,
    processes: int,
    stagger_s: float = 0.0,
    sample: int = 40,
    cache: bool = False,
    new: bool = False,
    timeout_s: float = 300,
) -> Outcome:
    """Start `processes` identical `safetyloop run` commands (`stagger_s` apart), wait for all."""
    constitution = folder / "constitution.yaml"
    constitution.write_text(CONSTITUTION, encoding="utf-8")
    log = folder / f"calls-{time.monotonic_ns()}.jsonl"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAFETYLOOP_")}
    env.update(
        COLUMNS="200",
        NO_COLOR="1",
        CALL_LOG=str(log),
        PYTHONPATH=str(ROOT / "src") + os.pathsep + str(ROOT),
    )
    command = [
        sys.executable, "-m", "safetyloop", "run", "--target", TARGET,
        "--constitution", str(constitution), "--sample", str(sample), "--store", store_url,
        *([] if cache else ["--no-cache"]), *(["--new"] if new else []),
    ]  # fmt: skip
    started = []
    for i in range(processes):
        if i and stagger_s:
            time.sleep(stagger_s)
        started.append(
            subprocess.Popen(
                command, cwd=folder, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
            )
        )
    outputs, codes = [], []
    for p in started:
        out, _ = p.communicate(timeout=timeout_s)
        outputs.append(out.decode("utf-8", "replace"))
        codes.append(p.returncode)
    return _outcome(store_url, log, codes, "\n----\n".join(outputs))


def _outcome(store_url: str, log: Path, codes: list[int], output: str) -> Outcome:
    engine = create_engine(store_url)
    try:
        with engine.connect() as c:
            runs = int(c.execute(text("SELECT count(*) FROM runs")).scalar_one())
            planned = [(r, k) for r, k in c.execute(text("SELECT run_id, case_key FROM run_cases"))]
            results = list(c.execute(text("SELECT run_id, case_key, status FROM results")))
            scores = list(c.execute(text("SELECT run_id, case_key, scorer_version FROM scores")))
    finally:
        engine.dispose()
    stored = Counter((r, k) for r, k, _ in results)
    verdicts = Counter(tuple(s) for s in scores)
    calls = Counter(
        json.dumps(json.loads(line)["messages"], sort_keys=True)
        for line in (log.read_text(encoding="utf-8").splitlines() if log.exists() else [])
    )
    per_run_cases = len({k for _, k in planned})
    # each run's case may be sent once per run (`--new` starts runs that each send every case)
    duplicated_sends = sum(max(0, n - runs) for n in calls.values())
    return Outcome(
        processes=len(codes),
        exit_codes=codes,
        runs=runs,
        cases=per_run_cases,
        lost=sum(1 for p in planned if p not in stored),
        duplicated=duplicated_sends
        + sum(n - 1 for n in stored.values())
        + sum(n - 1 for n in verdicts.values()),
        spurious_errors=sum(1 for *_, status in results if status != "ok"),
        sent=sum(calls.values()),
        audit_ok=verify_audit(store_url).ok,
        output=output,
    )
