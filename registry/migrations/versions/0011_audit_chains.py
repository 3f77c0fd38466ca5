"""audit log: one chain per recruiter, chain heads in audit_chain, anchors

Revision ID: 0011
Revises: 0010

Every existing entry stays where it is, in chain 0 (one chain, as it was written); audit_chain gets
that chain's head. The append-only triggers are dropped while audit_log is rebuilt (SQLite) and put
back unchanged. The DDL is written out here: a migration never imports live code.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
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
    "postgresql": ["DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log"],
    "sqlite": ["DROP TRIGGER IF EXISTS audit_log_no_update", "DROP TRIGGER IF EXISTS audit_log_no_delete"],
}
# SQLite's unnamed unique constraints get a name to be dropped by
NAMING = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def _dialect() -> str:
    name = op.get_bind().dialect.name
    return name if name == "postgresql" else "sqlite"


def upgrade() -> None:
    dialect = _dialect()
    op.create_table(
        "audit_chain",
        sa.Column("chain", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("anchored_seq", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("chain"),
    )
    for stmt in UNPROTECT[dialect]:
        op.execute(stmt)
    if dialect == "postgresql":
        op.add_column("audit_log", sa.Column("chain", sa.Integer(), nullable=False, server_default="0"))
        op.alter_column("audit_log", "chain", server_default=None)
        op.drop_constraint("audit_log_seq_key", "audit_log", type_="unique")
        op.create_unique_constraint("uq_audit_log_chain_seq", "audit_log", ["chain", "seq"])
    else:
        with op.batch_alter_table("audit_log", naming_convention=NAMING, recreate="always") as batch:
            batch.add_column(sa.Column("chain", sa.Integer(), nullable=False, server_default="0"))
            batch.drop_constraint("uq_audit_log_seq", type_="unique")
            batch.create_unique_constraint("uq_audit_log_chain_seq", ["chain", "seq"])
    for stmt in PROTECT[dialect]:
        op.execute(stmt)
    op.execute(
        "INSERT INTO audit_chain (chain, seq, hash, anchored_seq) "
        "SELECT 0, seq, hash, 0 FROM audit_log WHERE seq = (SELECT max(seq) FROM audit_log)"
    )


def downgrade() -> None:
    dialect = _dialect()
    for stmt in UNPROTECT[dialect]:
        op.execute(stmt)
    if dialect == "postgresql":
        op.drop_constraint("uq_audit_log_chain_seq", "audit_log", type_="unique")
        op.drop_column("audit_log", "chain")
        op.create_unique_constraint("audit_log_seq_key", "audit_log", ["seq"])
    else:
        with op.batch_alter_table("audit_log", recreate="always") as batch:
            batch.drop_constraint("uq_audit_log_chain_seq", type_="unique")
            batch.drop_column("chain")
            batch.create_unique_constraint("uq_audit_log_seq", ["seq"])
    for stmt in PROTECT[dialect]:
        op.execute(stmt)
    op.drop_table("audit_chain")
