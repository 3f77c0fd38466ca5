from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from registry.timeutil import utcnow


class LicenceStatus(StrEnum):
    valid = "valid"
    expired = "expired"
    suspended = "suspended"
    cancelled = "cancelled"
    delisted = "delisted"
    banned = "banned"
    unknown = "unknown"


class RecruiterBase(SQLModel):
    legal_name: str = Field(max_length=300, min_length=2)
    other_names: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    country: str = Field(max_length=2, min_length=2, index=True, description="ISO 3166-1 alpha-2")
    licence_authority: str = Field(default="", max_length=120)
    licence_number: str = Field(default="", max_length=80, index=True)
    sectors: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    contact_email: str = Field(default="", max_length=200)
    contact_phone: str = Field(default="", max_length=60)
    website: str = Field(default="", max_length=300)
    address: str = Field(default="", max_length=500)
    # The address and phone the licensing authority lists (shown on the card: an impersonator's differ).
    official_address: str = Field(default="", max_length=500, sa_column_kwargs={"server_default": ""})
    official_phone: str = Field(default="", max_length=60, sa_column_kwargs={"server_default": ""})


class Recruiter(RecruiterBase, table=True):
    __tablename__ = "recruiter"
    __table_args__ = (Index("ix_recruiter_authority_licence", "licence_authority", "licence_number"),)

    id: int | None = Field(default=None, primary_key=True)
    public_id: str = Field(max_length=12, unique=True, index=True)
    # Comparison key of licence_number (services.identifiers.licence_key), written with it.
    licence_key: str = Field(default="", max_length=160, index=True, sa_column_kwargs={"server_default": ""})
    licence_status: str = Field(default=LicenceStatus.unknown, max_length=20, index=True)
    licence_valid_until: date | None = None
    licence_checked_at: datetime | None = None
    # Sub-agents and brokers point at the recruiter they work for.
    parent_id: int | None = Field(default=None, foreign_key="recruiter.id", index=True)
    # Normalised text of all names, maintained by services.recruiters, used for search.
    search_text: str = Field(default="", max_length=2000)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow, index=True)  # search cache stamp


class Corridor(SQLModel, table=True):
    """A migration corridor a recruiter serves: origin country -> destination country."""

    __tablename__ = "corridor"
    __table_args__ = (
        UniqueConstraint("recruiter_id", "origin", "destination", name="uq_corridor"),
        Index("ix_corridor_origin_destination", "origin", "destination"),
    )

    id: int | None = Field(default=None, primary_key=True)
    recruiter_id: int = Field(foreign_key="recruiter.id", index=True)
    origin: str = Field(max_length=2)
    destination: str = Field(max_length=2)
