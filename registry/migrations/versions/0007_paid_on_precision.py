"""fee_report.paid_on_precision: a date paid given as a month and year only

Revision ID: 0007
Revises: 0005

Existing reports were all given with a day.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0007"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("fee_report") as batch:
        batch.add_column(
            sa.Column(
                "paid_on_precision",
                sqlmodel.sql.sqltypes.AutoString(length=5),
                nullable=False,
                server_default="day",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("fee_report") as batch:
        batch.drop_column("paid_on_precision")
