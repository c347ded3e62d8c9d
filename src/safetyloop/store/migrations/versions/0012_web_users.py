"""web console: accounts (password or token hashes), and the run's cases in position order

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "web_users",
        sa.Column("name", sa.String(200), primary_key=True),
        sa.Column("password_hash", sa.String(200), nullable=True),
        sa.Column("token_hash", sa.String(64), nullable=True, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    # A run's page reads its cases a page at a time in plan order (keyset on position).
    op.create_index("ix_run_cases_run_position", "run_cases", ["run_id", "position"])


def downgrade() -> None:
    op.drop_index("ix_run_cases_run_position", table_name="run_cases")
    op.drop_table("web_users")
