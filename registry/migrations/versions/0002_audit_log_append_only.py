"""audit log is append-only: the database refuses UPDATE and DELETE on audit_log

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

from alembic import op

from registry.services.auditlog import protect_sql, unprotect_sql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for stmt in protect_sql(op.get_bind().dialect.name):
        op.execute(stmt)


def downgrade() -> None:
    for stmt in unprotect_sql(op.get_bind().dialect.name):
        op.execute(stmt)
