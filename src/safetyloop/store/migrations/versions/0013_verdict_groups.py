"""verdict groups: run cases and scores carry suite, category, expected and cluster

Revision ID: 0013
Revises: 0012

The gate counts a run's verdicts by (suite, category, expected behaviour, cluster). Reading them
out of each case's JSON, or joining a million scores to their cases, takes seconds; with the
grouping on both tables (and indexes that cover it) the gate's counts are two index scans.
Run cases are filled in here from their stored JSON. Scores stored before this revision keep
NULL (they are digested into the audit chain without these columns, so filling them in would
break verification); the gate joins only those rows to their cases.
"""

import json
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_GROUPING = (
    ("suite", 200),
    ("category", 200),
    ("expected", 16),
    ("cluster", 300),
)
_BATCH = 5000


def upgrade() -> None:
    for table in ("run_cases", "scores"):
        with op.batch_alter_table(table) as batch:
            for name, size in _GROUPING:
                batch.add_column(sa.Column(name, sa.String(size), nullable=True))
    _fill_run_cases()
    op.create_index(
        "ix_run_cases_groups",
        "run_cases",
        ["run_id", "suite", "category", "expected", "cluster"],
    )
    op.create_index(
        "ix_scores_groups",
        "scores",
        ["run_id", "scorer_version", "suite", "category", "expected", "cluster", "label"],
    )
    # The gate finds the verdicts given to failed answers (never evidence) through this.
    op.create_index("ix_results_run_status", "results", ["run_id", "status"])


def _fill_run_cases() -> None:
    """Each stored case's grouping, read from its JSON the way `Case.cluster` reads it."""
    bind = op.get_bind()
    cases = sa.table(
        "run_cases",
        sa.column("id", sa.Integer),
        sa.column("case", sa.JSON),
        sa.column("suite", sa.String),
        sa.column("category", sa.String),
        sa.column("expected", sa.String),
        sa.column("cluster", sa.String),
    )
    last = 0
    while True:
        rows = bind.execute(
            sa.select(cases.c.id, cases.c.case)
            .where(cases.c.id > last)
            .order_by(cases.c.id)
            .limit(_BATCH)
        ).all()
        if not rows:
            return
        bind.execute(
            sa.update(cases).where(cases.c.id == sa.bindparam("row_id")),
            [{"row_id": row_id, **_grouping(case)} for row_id, case in rows],
        )
        last = rows[-1][0]


def _grouping(case: Any) -> dict[str, Any]:
    data = json.loads(case) if isinstance(case, str) else case
    cluster = (data.get("metadata") or {}).get("cluster")
    return {
        "suite": data.get("suite"),
        "category": data.get("category"),
        "expected": data.get("expected"),
        "cluster": None if cluster is None or cluster == "" else str(cluster),
    }


def downgrade() -> None:
    op.drop_index("ix_results_run_status", table_name="results")
    op.drop_index("ix_scores_groups", table_name="scores")
    op.drop_index("ix_run_cases_groups", table_name="run_cases")
    for table in ("scores", "run_cases"):
        with op.batch_alter_table(table) as batch:
            for name, _size in reversed(_GROUPING):
                batch.drop_column(name)
