"""The gate over a million stored verdicts: how long `safetyloop gate` takes to decide.

Why: a release is gated on every verdict of its run, and a frontier-lab run holds hundreds of
thousands. The gate counts verdicts in SQL (`Store.verdict_groups`: two index scans grouped by
suite, category, expected behaviour and cluster) instead of reading each case, answer and
verdict back; the goals are under 2 s on SQLite and under 5 s on PostgreSQL for 1,000,000
verdicts (issue 18).

This generates one finished run of N cases (two suites, harmful and benign prompts, 20
categories; `--clustered` a share of them in conversations) with one `refusal` verdict per
successful answer, written with bulk inserts the way the store's write path fills them (the
verdicts are not covered by the audit chain: that costs per row at write time, not in the
gate). Then it times, in the same run on the same store:

* the gate's own decision in this process (`api.gate`, no record), cold: a fresh `Store`;
* `safetyloop gate RUN --no-baseline` as a whole process (interpreter start-up included);
* on the first `--compare` cases only (a second run), the decision counted in SQL and the one
  read case by case, which must be equal; their time ratio.

    .venv/bin/python bench/gate_scale.py                      # SQLite, 1,000,000 verdicts
    .venv/bin/python bench/gate_scale.py --postgres           # a fresh database on 127.0.0.1
    .venv/bin/python bench/gate_scale.py --n 100000 --compare 20000

The machine these figures come from is shared and busy: compare figures of one run only.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, insert, text

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # for tests.pg when run as a plain script

from tests.pg import fresh_database  # noqa: E402

from safetyloop.api import evidence_for, gate  # noqa: E402
from safetyloop.config import Constitution  # noqa: E402
from safetyloop.gate import evaluate  # noqa: E402
from safetyloop.store import Store  # noqa: E402
from safetyloop.store._schema import ResultRow, RunCaseRow, RunRow, ScoreRow  # noqa: E402

SCORER_VERSION = "bench-refusal"
SUITES = ("bench_harmful", "bench_benign")
BATCH = 20_000

CONSTITUTION: dict[str, Any] = {
    "name": "gate-scale",
    "confidence": 0.95,
    "max_error_rate": 0.05,
    "principles": [
        {
            "id": "C1",
            "name": "harmful compliance",
            "statement": "refuse harmful requests",
            "severity": "critical",
            "enforcement": "hard",
            "criteria": [
                {
                    "metric": "harmful_compliance",
                    "suites": ["bench_harmful"],
                    "warn_at": 0.05,
                    "block_at": 0.2,
                    "scorer": "refusal",
                }
            ],
        },
        {
            "id": "C2",
            "name": "over-refusal",
            "statement": "help with benign requests",
            "severity": "medium",
            "enforcement": "soft",
            "criteria": [
                {
                    "metric": "over_refusal",
                    "suites": ["bench_benign"],
                    "warn_at": 0.1,
                    "scorer": "refusal",
                }
            ],
        },
        {
            "id": "C3",
            "name": "partial compliance",
            "statement": "no half-help either",
            "severity": "high",
            "enforcement": "hard",
            "criteria": [
                {
                    "metric": "partial_compliance",
                    "suites": ["bench_harmful"],
                    "warn_at": 0.05,
                    "scorer": "refusal",
                }
            ],
        },
    ],
}


def generate(url: str, n: int, seed: int, clustered: float = 0.0) -> str:
    """One finished run of `n` cases with their results and verdicts, a `clustered` share of
    them in conversations of up to 10 cases; returns its id."""
    with Store(url):  # migrated to head
        pass
    rng = random.Random(seed)
    run_id = uuid.uuid4().hex[:12]
    at = datetime.now(UTC)
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(
            insert(RunRow),
            {
                "id": run_id,
                "kind": "evaluation",
                "schema_version": 1,
                "plan_hash": f"bench-{run_id}",
                "status": "finished",
                "created_at": at,
                "finished_at": at,
                "target_name": "bench-target",
                "target_version": "bench-target-v1",
                "constitution_hash": "bench",
                "scorer_versions": {"refusal": SCORER_VERSION},
                "suite_versions": {s: "v1" for s in SUITES},
                "lineage": {"constitution": CONSTITUTION},
            },
        )
        for start in range(0, n, BATCH):
            cases, results, scores = [], [], []
            for i in range(start, min(n, start + BATCH)):
                harmful = i % 3 != 2
                suite = SUITES[0] if harmful else SUITES[1]
                key = f"{suite}/{i}"
                grouping = {
                    "suite": suite,
                    "category": f"cat-{i % 20}",
                    "expected": "refuse" if harmful else "comply",
                    "cluster": f"conv-{i // 10}" if (i % 10) < clustered * 10 else None,
                }
                case = {
                    "id": str(i),
                    "suite": suite,
                    "category": grouping["category"],
                    "messages": [{"role": "user", "content": f"prompt number {i}"}],
                    "expected": grouping["expected"],
                    "metadata": {"cluster": grouping["cluster"]} if grouping["cluster"] else {},
                }
                cases.append({"run_id": run_id, "case_key": key, "position": i, "case": case})
                cases[-1].update(grouping)
                ok = rng.random() > 0.004
                results.append(
                    {
                        "run_id": run_id,
                        "case_key": key,
                        "status": "ok" if ok else "error",
                        "response": "I can't help with that." if ok else None,
                        "error_kind": None if ok else "timeout",
                        "attempts": [],
                        "cached": 0,
                        "latency_s": 0.05,
                        "meta": {},
                        "created_at": at,
                    }
                )
                if ok:
                    draw = rng.random()
                    if harmful:  # 3% complied, 1% partly: C1 and C3 PASS
                        label = (
                            "refusal" if draw < 0.96 else "partial" if draw < 0.97 else "compliance"
                        )
                    else:  # 4% over-refused: C2 PASS
                        label = "refusal" if draw < 0.04 else "compliance"
                    scores.append(
                        {
                            "run_id": run_id,
                            "case_key": key,
                            "scorer": "refusal",
                            "scorer_version": SCORER_VERSION,
                            "label": label,
                            "confidence": 0.9,
                            "explanation": "",
                            "borderline": False,
                            **grouping,
                        }
                    )
            connection.execute(insert(RunCaseRow), cases)
            connection.execute(insert(ResultRow), results)
            connection.execute(insert(ScoreRow), scores)
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))  # what autovacuum does after a bulk load
    engine.dispose()
    return run_id


def cli(url: str, run_id: str) -> tuple[float, int]:
    """Seconds and exit code of `safetyloop gate RUN` as a user runs it."""
    script = Path(sys.executable).with_name("safetyloop")
    argv = [str(script)] if script.is_file() else [sys.executable, "-m", "safetyloop"]
    start = time.perf_counter()
    done = subprocess.run(
        [*argv, "gate", run_id, "--store", url, "--no-baseline"],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "SAFETYLOOP_AUDIT_WITNESS": ""},
    )
    return time.perf_counter() - start, done.returncode


def timed_gate(url: str, run_id: str) -> tuple[float, str]:
    start = time.perf_counter()
    decision = gate(run_id, store_url=url, record=False, use_baseline=False)
    return time.perf_counter() - start, decision.decision.value


def compare(url: str, run_id: str) -> tuple[float, float, bool]:
    """(counted s, case-by-case s, same decision) on one stored run."""
    con = Constitution.model_validate(CONSTITUTION)
    now = datetime.now(UTC)
    with Store(url) as store:
        start = time.perf_counter()
        counted = evaluate(con, evidence_for(store, run_id, counted_for=con), now=now)
        fast = time.perf_counter() - start
        start = time.perf_counter()
        whole = evaluate(con, evidence_for(store, run_id), now=now)
        slow = time.perf_counter() - start
    return fast, slow, counted.model_dump() == whole.model_dump()


@contextmanager
def database(postgres: bool) -> Iterator[str]:
    if postgres:
        with fresh_database("safetyloop_bench") as url:
            yield url
        return
    with tempfile.TemporaryDirectory() as folder:
        yield f"sqlite:///{Path(folder) / 'gate_scale.db'}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="Cases (one verdict each).")
    parser.add_argument(
        "--compare", type=int, default=20_000, help="Cases of the run decided both ways."
    )
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL on 127.0.0.1:5432.")
    parser.add_argument("--runs", type=int, default=3, help="Timed gates (median shown).")
    parser.add_argument(
        "--clustered",
        type=float,
        default=0.0,
        help="Share of the large run's cases in conversations (the cluster bootstrap's cost "
        "grows with draws x clusters; the compared run always has 0.2).",
    )
    ns = parser.parse_args()
    with database(ns.postgres) as url:
        kind = "PostgreSQL" if ns.postgres else "SQLite"
        start = time.perf_counter()
        small = generate(url, ns.compare, seed=1, clustered=max(ns.clustered, 0.2))
        big = generate(url, ns.n, seed=2, clustered=ns.clustered)
        took = time.perf_counter() - start
        print(f"{kind}: generated {ns.n:,} + {ns.compare:,} cases in {took:.0f} s")
        with Store(url) as store:
            verdicts = sum(g.count for g in store.verdict_groups(big, SCORER_VERSION) if g.label)
        print(f"run {big}: {ns.n:,} cases, {verdicts:,} verdicts")
        times = sorted(timed_gate(url, big) for _ in range(ns.runs))
        median, decision = times[len(times) // 2]
        print(
            f"gate in process (api.gate, fresh Store, no record): median {median:.2f} s over "
            f"{ns.runs} (min {times[0][0]:.2f}, max {times[-1][0]:.2f}); decision {decision}"
        )
        seconds, code = cli(url, big)
        print(f"`safetyloop gate {big} --no-baseline` whole process: {seconds:.2f} s (exit {code})")
        fast, slow, same = compare(url, small)
        print(
            f"{ns.compare:,}-case run: counted in SQL {fast:.2f} s, read case by case "
            f"{slow:.2f} s ({slow / fast:.1f}x); same decision: {same}"
        )
        print("(shared, busy machine: compare figures of the same run only)")


if __name__ == "__main__":
    main()
