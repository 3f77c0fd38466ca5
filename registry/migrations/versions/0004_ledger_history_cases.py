"""ledger reversals, report and finding history, audit cancellation, case subscriptions

Revision ID: 0004
Revises: 0003

- repayment_entry: ``kind`` (entry | reversal), ``reverses_id`` (the entry a reversal takes back, at
  most once: unique) and ``reason``; existing rows are plain entries.
- report_event: who linked, triaged or revised a fee report, when and why.
- finding_event: due-date changes, reopenings and withdrawals of findings, with reasons.
- audit: ``cancelled_at``, ``cancelled_by``, ``cancel_reason``.
- case_subscription: the chat told when its report is decided (raw chat id; erased by /forget).
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "case_subscription",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("language", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["fee_report.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("report_id"),
    )
    with op.batch_alter_table("case_subscription", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_subscription_chat_id"), ["chat_id"], unique=False)

    op.create_table(
        "report_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("recruiter_id", sa.Integer(), nullable=True),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("before", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("after", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["recruiter_id"],
            ["recruiter.id"],
        ),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["fee_report.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("report_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_report_event_report_id"), ["report_id"], unique=False)

    op.create_table(
        "finding_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("finding_id", sa.Integer(), nullable=False),
        sa.Column("recruiter_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("due_before", sa.Date(), nullable=True),
        sa.Column("due_after", sa.Date(), nullable=True),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("detail", sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=False),
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["finding_id"],
            ["finding.id"],
        ),
        sa.ForeignKeyConstraint(
            ["recruiter_id"],
            ["recruiter.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("finding_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_finding_event_finding_id"), ["finding_id"], unique=False)

    with op.batch_alter_table("audit", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cancelled_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("cancelled_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True)
        )
        batch_op.add_column(
            sa.Column("cancel_reason", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True)
        )

    with op.batch_alter_table("repayment_entry", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "kind", sqlmodel.sql.sqltypes.AutoString(length=12), server_default="entry", nullable=False
            )
        )
        batch_op.add_column(sa.Column("reverses_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "reason", sqlmodel.sql.sqltypes.AutoString(length=2000), server_default="", nullable=False
            )
        )
        batch_op.create_unique_constraint("uq_repayment_entry_reverses_id", ["reverses_id"])
        batch_op.create_foreign_key(
            "fk_repayment_entry_reverses_id", "repayment_entry", ["reverses_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("repayment_entry", schema=None) as batch_op:
        batch_op.drop_constraint("fk_repayment_entry_reverses_id", type_="foreignkey")
        batch_op.drop_constraint("uq_repayment_entry_reverses_id", type_="unique")
        batch_op.drop_column("reason")
        batch_op.drop_column("reverses_id")
        batch_op.drop_column("kind")
    with op.batch_alter_table("audit", schema=None) as batch_op:
        batch_op.drop_column("cancel_reason")
        batch_op.drop_column("cancelled_by")
        batch_op.drop_column("cancelled_at")
    for table, index in (
        ("finding_event", "ix_finding_event_finding_id"),
        ("report_event", "ix_report_event_report_id"),
        ("case_subscription", "ix_case_subscription_chat_id"),
    ):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(index)
        op.drop_table(table)
