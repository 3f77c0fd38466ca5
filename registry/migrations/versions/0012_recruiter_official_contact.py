"""recruiter.official_address, recruiter.official_phone: the contact the licensing authority lists

Revision ID: 0012
Revises: 0011

Optional; shown on the status card so that a worker can tell the real agency from one using its
name. Existing recruiters have none ('').
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("recruiter") as batch:
        batch.add_column(
            sa.Column(
                "official_address",
                sqlmodel.sql.sqltypes.AutoString(length=500),
                nullable=False,
                server_default="",
            )
        )
        batch.add_column(
            sa.Column(
                "official_phone",
                sqlmodel.sql.sqltypes.AutoString(length=60),
                nullable=False,
                server_default="",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("recruiter") as batch:
        batch.drop_column("official_phone")
        batch.drop_column("official_address")
