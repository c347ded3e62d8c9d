"""one run ledger: runs gain a kind; red-team runs move into it from redteam_runs

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_TZ = sa.DateTime(timezone=True)
#: Names SQLite's unnamed foreign keys, so batch mode can drop the old one (PostgreSQL names it).
_NAMES = {"fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s"}

_runs = sa.table(
    "runs",
    sa.column("id", sa.String),
    sa.column("kind", sa.String),
    sa.column("schema_version", sa.Integer),
    sa.column("plan_hash", sa.String),
    sa.column("status", sa.String),
    sa.column("created_at", _TZ),
    sa.column("finished_at", _TZ),
    sa.column("target_name", sa.String),
    sa.column("target_version", sa.String),
    sa.column("constitution_hash", sa.String),
    sa.column("scorer_versions", sa.JSON),
    sa.column("suite_versions", sa.JSON),
    sa.column("lineage", sa.JSON),
)
_redteam_runs = sa.table(
    "redteam_runs",
    sa.column("id", sa.String),
    sa.column("schema_version", sa.Integer),
    sa.column("plan_hash", sa.String),
    sa.column("attack_set_hash", sa.String),
    sa.column("status", sa.String),
    sa.column("created_at", _TZ),
    sa.column("finished_at", _TZ),
    sa.column("target_name", sa.String),
    sa.column("target_version", sa.String),
    sa.column("lineage", sa.JSON),
)
_COMMON = (
    "id",
    "schema_version",
    "plan_hash",
    "status",
    "created_at",
    "finished_at",
    "target_name",
    "target_version",
    "lineage",
)


def _repoint(old: str, new: str) -> None:
    """Point redteam_conversations.run_id at table `new` instead of table `old`."""
    found = sa.inspect(op.get_bind()).get_foreign_keys("redteam_conversations")
    [name] = [fk["name"] for fk in found if fk["referred_table"] == old]
    with op.batch_alter_table("redteam_conversations", naming_convention=_NAMES) as batch:
        batch.drop_constraint(name or f"fk_redteam_conversations_run_id_{old}", "foreignkey")
        batch.create_foreign_key(f"fk_redteam_conversations_run_id_{new}", new, ["run_id"], ["id"])


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.add_column(
            sa.Column("kind", sa.String(16), nullable=False, server_default="evaluation")
        )
        batch.create_index("ix_runs_kind", ["kind"])
    connection = op.get_bind()
    moved = connection.execute(sa.select(_redteam_runs)).mappings().all()
    if moved:
        op.bulk_insert(
            _runs,
            [
                {
                    **{k: r[k] for k in _COMMON},
                    "kind": "redteam",
                    "constitution_hash": "",
                    "scorer_versions": {},
                    "suite_versions": {"attack_set": r["attack_set_hash"]},
                }
                for r in moved
            ],
        )
    _repoint("redteam_runs", "runs")
    op.drop_index("ix_redteam_runs_plan_hash", table_name="redteam_runs")
    op.drop_table("redteam_runs")


def downgrade() -> None:
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
    connection = op.get_bind()
    moved = connection.execute(sa.select(_runs).where(_runs.c.kind == "redteam")).mappings().all()
    if moved:
        op.bulk_insert(
            _redteam_runs,
            [
                {**{k: r[k] for k in _COMMON}, "attack_set_hash": r["suite_versions"]["attack_set"]}
                for r in moved
            ],
        )
    _repoint("runs", "redteam_runs")
    op.execute(_runs.delete().where(_runs.c.kind == "redteam"))
    with op.batch_alter_table("runs") as batch:
        batch.drop_index("ix_runs_kind")
        batch.drop_column("kind")
