"""verdict overrides: a reviewer's label for a borderline verdict, counted by the gate

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "verdict_overrides",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.String(32), sa.ForeignKey("runs.id"), nullable=False),
        sa.Column("case_key", sa.String(300), nullable=False),
        sa.Column("scorer", sa.String(100), nullable=False),
        sa.Column("scorer_version", sa.String(64), nullable=False),
        sa.Column("was", sa.String(32), nullable=False),
        sa.Column("label", sa.String(32), nullable=False),
        sa.Column("reviewer", sa.String(200), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("review_id", sa.String(64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("run_id", "case_key", "scorer_version"),
    )
    op.create_index("ix_verdict_overrides_run_id", "verdict_overrides", ["run_id"])


def downgrade() -> None:
    op.drop_index("ix_verdict_overrides_run_id", table_name="verdict_overrides")
    op.drop_table("verdict_overrides")
