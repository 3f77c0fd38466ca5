"""audit log is append-only: the database refuses UPDATE and DELETE on audit_log

Revision ID: 0002
Revises: 0001

The DDL is written out here, as it was at this revision: a migration never imports live code.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PROTECT = {
    "postgresql": [
        """CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger AS $$
           BEGIN RAISE EXCEPTION 'audit_log is append-only'; END; $$ LANGUAGE plpgsql""",
        """CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
           FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()""",
    ],
    "sqlite": [
        """CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
           BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END""",
        """CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
           BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END""",
    ],
}
UNPROTECT = {
    "postgresql": [
        "DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log",
        "DROP FUNCTION IF EXISTS audit_log_append_only()",
    ],
    "sqlite": ["DROP TRIGGER IF EXISTS audit_log_no_update", "DROP TRIGGER IF EXISTS audit_log_no_delete"],
}


def _dialect() -> str:
    name = op.get_bind().dialect.name
    return name if name == "postgresql" else "sqlite"


def upgrade() -> None:
    for stmt in PROTECT[_dialect()]:
        op.execute(stmt)


def downgrade() -> None:
    for stmt in UNPROTECT[_dialect()]:
        op.execute(stmt)
