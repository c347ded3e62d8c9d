"""redteam: red-team runs, conversations and their turn-by-turn events

Revision ID: 0006
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0004"
branch_labels = None
depends_on = None

_TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "redteam_runs",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("schema_version", sa.Integer, nullable=False),
        sa.Column("plan_hash", sa.String(64), nullable=False),
        sa.Column("attack_set_hash", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", _TZ, nullable=False),
        sa.Column("finished_at", _TZ, nullable=True),
        sa.Column("target_name", sa.String(200), nullable=False),
        sa.Column("target_version", sa.String(64), nullable=False),
        sa.Column("lineage", sa.JSON, nullable=False),
    )
    op.create_index("ix_redteam_runs_plan_hash", "redteam_runs", ["plan_hash"])
    op.create_table(
        "redteam_conversations",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.String(32), sa.ForeignKey("redteam_runs.id"), nullable=False),
        sa.Column("attack_key", sa.String(300), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("spec", sa.JSON, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("success", sa.Boolean, nullable=True),
        sa.Column("best_score", sa.Float, nullable=True),
        sa.Column("first_failure_turn", sa.Integer, nullable=True),
        sa.Column("turns", sa.Integer, nullable=False),
        sa.Column("backtracks", sa.Integer, nullable=False),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("finished_at", _TZ, nullable=True),
        sa.UniqueConstraint("run_id", "attack_key"),
    )
    op.create_index("ix_redteam_conversations_run_id", "redteam_conversations", ["run_id"])
    op.create_table(
        "redteam_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "conversation_id",
            sa.Integer,
            sa.ForeignKey("redteam_conversations.id"),
            nullable=False,
        ),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("turn", sa.Integer, nullable=False),
        sa.Column("branch", sa.String(64), nullable=False),
        sa.Column("prompt", sa.Text, nullable=False),
        sa.Column("response", sa.Text, nullable=True),
        sa.Column("score", sa.Float, nullable=True),
        sa.Column("label", sa.String(32), nullable=True),
        sa.Column("refused", sa.Boolean, nullable=True),
        sa.Column("data", sa.JSON, nullable=False),
        sa.Column("at", _TZ, nullable=False),
    )
    op.create_index("ix_redteam_events_conversation_id", "redteam_events", ["conversation_id"])


def downgrade() -> None:
    op.drop_index("ix_redteam_events_conversation_id", table_name="redteam_events")
    op.drop_table("redteam_events")
    op.drop_index("ix_redteam_conversations_run_id", table_name="redteam_conversations")
    op.drop_table("redteam_conversations")
    op.drop_index("ix_redteam_runs_plan_hash", table_name="redteam_runs")
    op.drop_table("redteam_runs")
