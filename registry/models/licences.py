from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from registry.timeutil import utcnow


class LicenceRecord(SQLModel, table=True):
    """A row of a government licence register, as last imported (matched by authority + number)."""

    __tablename__ = "licence_record"
    __table_args__ = (UniqueConstraint("authority", "licence_number", name="uq_licence_authority_number"),)

    id: int | None = Field(default=None, primary_key=True)
    authority: str = Field(max_length=120, index=True)
    licence_number: str = Field(max_length=80, index=True)
    # Comparison key of licence_number (services.identifiers.licence_key), written with it.
    licence_key: str = Field(default="", max_length=160, index=True, sa_column_kwargs={"server_default": ""})
    name: str = Field(max_length=300)
    status: str = Field(max_length=20)
    raw_status: str = Field(default="", max_length=80)
    valid_until: date | None = None
    imported_at: datetime = Field(default_factory=utcnow)
