"""agentic runs: episodes of runs of kind `agentic`, each with its trajectory and outcome

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "agentic_episodes",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.String(32), sa.ForeignKey("runs.id"), nullable=False),
        sa.Column("case_key", sa.String(300), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("case", sa.JSON, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("trajectory", sa.JSON, nullable=True),
        sa.Column("outcome", sa.JSON, nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("run_id", "case_key"),
    )
    op.create_index("ix_agentic_episodes_run_id", "agentic_episodes", ["run_id"])


def downgrade() -> None:
    op.drop_index("ix_agentic_episodes_run_id", table_name="agentic_episodes")
    op.drop_table("agentic_episodes")
