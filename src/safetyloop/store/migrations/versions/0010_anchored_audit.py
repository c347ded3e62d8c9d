"""anchored audit: entries and the chain head carry signatures; verdict rows are covered

Revision ID: 0010
Revises: 0009

From this revision on, every result, score, gate decision and review signature is digested into
the audit chain when it is written. Rows already stored were never digested: when there are any,
one `audit.coverage_started` entry records the highest id of each kind, so that verification
knows which rows predate the coverage rather than calling them inserted. `audit_head` holds the
signed head; it is written by appends made with the audit key.
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from safetyloop.audit_chain import AuditEntry, chain_entry

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

#: Row kind → table whose ids the coverage starts after.
_COVERED = {
    "result": "results",
    "score": "scores",
    "decision": "gate_decisions",
    "signature": "review_signatures",
}
_COLUMNS = ("seq", "actor", "at", "action", "payload", "payload_hash", "prev_hash", "entry_hash")
_audit = sa.table(
    "audit_log",
    sa.column("seq", sa.Integer),
    sa.column("actor", sa.String),
    sa.column("at", sa.DateTime(timezone=True)),
    sa.column("action", sa.String),
    sa.column("payload", sa.JSON),
    sa.column("payload_hash", sa.String),
    sa.column("prev_hash", sa.String),
    sa.column("entry_hash", sa.String),
)


def upgrade() -> None:
    with op.batch_alter_table("audit_log") as batch:
        batch.add_column(sa.Column("mac", sa.String(64), nullable=True))
    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("head_hash", sa.String(64), nullable=False),
        sa.Column("mac", sa.String(64), nullable=True),
    )
    bind = op.get_bind()
    highest = {
        kind: int(bind.execute(sa.text(f"SELECT COALESCE(MAX(id), 0) FROM {table}")).scalar_one())
        for kind, table in _COVERED.items()
    }
    last = bind.execute(
        sa.select(*(_audit.c[c] for c in _COLUMNS)).order_by(_audit.c.seq.desc()).limit(1)
    ).first()
    previous = None
    if last is not None:
        previous = AuditEntry.model_validate(
            {**last._asdict(), "at": _aware(last.at), "seq": int(last.seq)}
        )
    if any(highest.values()):  # signed later, by the first append with the key or `audit anchor`
        entry = chain_entry(
            previous, "safetyloop-migration", "audit.coverage_started", highest, datetime.now(UTC)
        )
        op.execute(_audit.insert().values(**entry.model_dump(exclude={"mac"})))


def _aware(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def downgrade() -> None:
    op.drop_table("audit_head")
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_column("mac")
