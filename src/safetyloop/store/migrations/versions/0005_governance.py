"""governance: review queue, signatures, debt ledger, exceptions

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "review_items",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("rule", sa.String(64), nullable=False, index=True),
        sa.Column("tier", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("run_id", sa.String(32), nullable=True, index=True),
        sa.Column("target", sa.String(200), nullable=True),
        sa.Column("principle", sa.String(100), nullable=True),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("dedupe_key", sa.String(200), nullable=False, unique=True),
        sa.Column("author", sa.String(200), nullable=True),
        sa.Column("exception_id", sa.String(32), nullable=True),
        sa.Column("created_at", _TZ, nullable=False),
        sa.Column("due_at", _TZ, nullable=False),
        sa.Column("escalation_level", sa.Integer, nullable=False),
        sa.Column("escalations", sa.JSON, nullable=False),
        sa.Column("decided_at", _TZ, nullable=True),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_table(
        "review_signatures",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "item_id", sa.String(32), sa.ForeignKey("review_items.id"), nullable=False, index=True
        ),
        sa.Column("approver", sa.String(200), nullable=False),
        sa.Column("role", sa.String(100), nullable=True),
        sa.Column("verdict", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("at", _TZ, nullable=False),
        # Nobody signs an item twice: the backstop under concurrent approvals.
        sa.UniqueConstraint("item_id", "approver"),
    )
    op.create_table(
        "debt_items",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("principle", sa.String(100), nullable=False, index=True),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("owner", sa.String(200), nullable=False),
        sa.Column("evidence", sa.JSON, nullable=False),
        sa.Column("regression_cases", sa.JSON, nullable=False),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("aging_level", sa.String(16), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", _TZ, nullable=False),
        sa.Column("cleared_at", _TZ, nullable=True),
        sa.Column("cleared_by", sa.String(200), nullable=True),
        sa.Column("clearance", sa.JSON, nullable=True),
    )
    op.create_table(
        "gate_exceptions",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("target", sa.String(200), nullable=False, index=True),
        sa.Column("run_id", sa.String(32), nullable=False),
        sa.Column("principles", sa.JSON, nullable=False),
        sa.Column("mitigation", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("requested_by", sa.String(200), nullable=False),
        sa.Column("created_at", _TZ, nullable=False),
        sa.Column("expires_at", _TZ, nullable=False),
        sa.Column("review_id", sa.String(32), nullable=True),
        sa.Column("decided_at", _TZ, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("gate_exceptions")
    op.drop_table("debt_items")
    op.drop_table("review_signatures")
    op.drop_table("review_items")
