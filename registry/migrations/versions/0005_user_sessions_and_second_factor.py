"""user sessions and second factor: session version, TOTP, recovery codes, one-time reveal slots

Revision ID: 0005
Revises: 0004

Sign-in no longer locks accounts (throttling is by address hash and client, in the rate-limit
storage), so the per-user failure counter and lock go.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reveal_slot",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("payload", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("reveal_slot", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reveal_slot_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_reveal_slot_user_id"), ["user_id"], unique=False)

    op.create_table(
        "user_recovery_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("used_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("user_recovery_code", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_user_recovery_code_user_id"), ["user_id"], unique=False)

    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_version", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(
            sa.Column("password_changed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
        batch_op.add_column(
            sa.Column("totp_secret", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True)
        )
        batch_op.add_column(sa.Column("totp_enabled_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("totp_last_step", sa.Integer(), nullable=True))
        batch_op.drop_column("locked_until")
        batch_op.drop_column("failed_logins")
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.alter_column("session_version", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("locked_until", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.drop_column("totp_last_step")
        batch_op.drop_column("totp_enabled_at")
        batch_op.drop_column("totp_secret")
        batch_op.drop_column("password_changed_at")
        batch_op.drop_column("session_version")
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.alter_column("failed_logins", server_default=None)

    with op.batch_alter_table("user_recovery_code", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_recovery_code_user_id"))
    op.drop_table("user_recovery_code")
    with op.batch_alter_table("reveal_slot", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reveal_slot_user_id"))
        batch_op.drop_index(batch_op.f("ix_reveal_slot_created_at"))
    op.drop_table("reveal_slot")
