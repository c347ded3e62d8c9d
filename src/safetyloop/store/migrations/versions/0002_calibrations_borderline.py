"""calibration records, and borderline verdicts on scores

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "calibrations",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("scorer", sa.String(100), nullable=False),
        sa.Column("scorer_version", sa.String(64), nullable=False, index=True),
        sa.Column("labels_hash", sa.String(64), nullable=False),
        sa.Column("n", sa.Integer, nullable=False),
        sa.Column("accuracy", sa.Float, nullable=False),
        sa.Column("kappa", sa.Float, nullable=False),
        sa.Column("body", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    with op.batch_alter_table("scores") as batch:
        batch.add_column(
            sa.Column("borderline", sa.Boolean, nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("scores") as batch:
        batch.drop_column("borderline")
    op.drop_table("calibrations")
