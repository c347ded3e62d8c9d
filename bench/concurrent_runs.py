"""Identical runs at once, measured (issue 20's goal: 4 concurrent identical runs lose 0 cases,
duplicate 0 verdicts and record 0 spurious errors).

    python bench/concurrent_runs.py [--processes 4] [--sample 100] [--stagger 0.5]

Starts the processes (`python -m safetyloop run`, the same command each, response cache off) on
a fresh SQLite store and, when a server answers on 127.0.0.1:5432, a fresh PostgreSQL database;
the target is a python: test double that answers at once and logs every request
(`tests/store/concurrent_runs.py`). Prints the figures per store, at once and staggered.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.exc import OperationalError  # noqa: E402
from tests.store.concurrent_runs import Outcome, start_runs  # noqa: E402

PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"


def _line(label: str, outcome: Outcome) -> str:
    exits = "all exit 0" if set(outcome.exit_codes) == {0} else f"exit codes {outcome.exit_codes}"
    return (
        f"{label}: lost {outcome.lost}, duplicated {outcome.duplicated}, spurious errors "
        f"{outcome.spurious_errors} ({outcome.runs} run, {outcome.sent} requests for "
        f"{outcome.cases} cases, {exits}, audit chain {'intact' if outcome.audit_ok else 'BROKEN'})"
    )


def _postgres_database() -> str | None:
    admin = create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    name = f"safetyloop_bench_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError:
        return None
    finally:
        admin.dispose()
    return name


def _drop(name: str) -> None:
    admin = create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--sample", type=int, default=100)
    parser.add_argument("--stagger", type=float, default=0.5, help="seconds between starts")
    args = parser.parse_args()
    n = args.processes
    for stagger, how in ((0.0, "at once"), (args.stagger, f"staggered {args.stagger:g} s")):
        with tempfile.TemporaryDirectory() as folder:
            outcome = start_runs(
                Path(folder),
                f"sqlite:///{Path(folder) / 'store.db'}",
                processes=n,
                stagger_s=stagger,
                sample=args.sample,
            )
            print(_line(f"{n} concurrent identical runs ({how}, SQLite)", outcome))
        database = _postgres_database()
        if database is None:
            print(f"{n} concurrent identical runs ({how}, PostgreSQL): skipped, no server")
            continue
        try:
            with tempfile.TemporaryDirectory() as folder:
                outcome = start_runs(
                    Path(folder),
                    f"{PG_SERVER}/{database}",
                    processes=n,
                    stagger_s=stagger,
                    sample=args.sample,
                )
                print(_line(f"{n} concurrent identical runs ({how}, PostgreSQL)", outcome))
        finally:
            _drop(database)


if __name__ == "__main__":
    main()
