"""fee_report_line: the fees of a report, one line each; bot_state: the bot's unfinished reports and
conversation steps (they survive a restart); chat_preference.origin_country: the worker's country

Revision ID: 0010
Revises: 0009

Each existing report gets one line with its own category, amount, currency and USD value.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "fee_report_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("category", sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
        sa.Column("amount", sa.Numeric(14, 2), nullable=False),
        sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("amount_usd", sa.Numeric(14, 2), nullable=True),
        sa.ForeignKeyConstraint(["report_id"], ["fee_report.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("report_id", "position", name="uq_fee_report_line_position"),
    )
    op.create_index("ix_fee_report_line_report_id", "fee_report_line", ["report_id"])
    op.execute(
        "INSERT INTO fee_report_line (report_id, position, category, amount, currency, amount_usd) "
        "SELECT id, 0, category, amount, currency, amount_usd FROM fee_report"
    )
    op.create_table(
        "bot_state",
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "key"),
    )
    with op.batch_alter_table("chat_preference") as batch:
        batch.add_column(
            sa.Column(
                "origin_country",
                sqlmodel.sql.sqltypes.AutoString(length=2),
                nullable=False,
                server_default="",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("chat_preference") as batch:
        batch.drop_column("origin_country")
    op.drop_table("bot_state")
    op.drop_index("ix_fee_report_line_report_id", table_name="fee_report_line")
    op.drop_table("fee_report_line")
