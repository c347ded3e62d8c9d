"""incidents: incident records, their promoted regression cases, replay and blast-radius reports

Revision ID: 0007
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "incidents",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("principle", sa.String(32), nullable=False),
        sa.Column("incident_date", sa.Date, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("body", sa.JSON, nullable=False),
        sa.Column("triage", sa.JSON, nullable=True),
        sa.Column("confirmed", sa.JSON, nullable=True),
        sa.Column("debt_id", sa.String(64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "incident_regression_cases",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("incident_id", sa.String(64), sa.ForeignKey("incidents.id"), nullable=False),
        sa.Column("case_id", sa.String(200), nullable=False, unique=True),
        sa.Column("case", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "ix_incident_regression_cases_incident_id", "incident_regression_cases", ["incident_id"]
    )
    op.create_table(
        "incident_measurements",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("incident_id", sa.String(64), sa.ForeignKey("incidents.id"), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("target_name", sa.String(200), nullable=False),
        sa.Column("target_version", sa.String(64), nullable=False),
        sa.Column("body", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "ix_incident_measurements_incident_id", "incident_measurements", ["incident_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_incident_measurements_incident_id", table_name="incident_measurements")
    op.drop_table("incident_measurements")
    op.drop_index(
        "ix_incident_regression_cases_incident_id", table_name="incident_regression_cases"
    )
    op.drop_table("incident_regression_cases")
    op.drop_table("incidents")
