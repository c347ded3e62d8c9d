"""merge: governance (0005), red teaming (0006) and the incident lab (0007) landed side by side

Revision ID: 0008
Revises: 0005, 0006, 0007
"""

revision = "0008"
down_revision = ("0005", "0006", "0007")
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing to change: this revision only joins the three branches into one head."""


def downgrade() -> None:
    """Nothing to undo."""
