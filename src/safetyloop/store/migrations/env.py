"""Alembic environment: the store passes its open connection in `config.attributes`."""

from alembic import context

from safetyloop.store import (
    _agentic_schema,
    _governance_schema,
    _incident_schema,
    _redteam_schema,
    _web_schema,
)
from safetyloop.store._schema import Base

# Every domain's tables on the one metadata, for comparing the schema with the models.
assert _agentic_schema and _governance_schema and _incident_schema and _redteam_schema
assert _web_schema

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
