from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from registry.timeutil import utcnow

API_SCOPES = ("read", "suppliers", "webhooks")
WEBHOOK_EVENTS = ("recruiter.status_changed", "recruiter.licence_changed", "recruiter.alert_raised")


class Company(SQLModel, table=True):
    __tablename__ = "company"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    contact_email: str = Field(default="", max_length=200)
    created_at: datetime = Field(default_factory=utcnow)


class ApiKey(SQLModel, table=True):
    """An API key; only a hash is stored. The key is `fr_<prefix>_<secret>`; lookup by prefix."""

    __tablename__ = "api_key"

    id: int | None = Field(default=None, primary_key=True)
    company_id: int = Field(foreign_key="company.id", index=True)
    name: str = Field(default="", max_length=120)
    prefix: str = Field(max_length=16, unique=True, index=True)
    key_hash: str = Field(max_length=128)
    scopes: list[str] = Field(
        default_factory=lambda: list(API_SCOPES), sa_column=Column(JSON, nullable=False)
    )
    created_at: datetime = Field(default_factory=utcnow)
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None


class SupplierLink(SQLModel, table=True):
    """A recruiter on a company's supplier list."""

    __tablename__ = "supplier_link"

    company_id: int = Field(foreign_key="company.id", primary_key=True)
    recruiter_id: int = Field(foreign_key="recruiter.id", primary_key=True, index=True)
    added_at: datetime = Field(default_factory=utcnow)


class WebhookEndpoint(SQLModel, table=True):
    __tablename__ = "webhook_endpoint"

    id: int | None = Field(default=None, primary_key=True)
    company_id: int = Field(foreign_key="company.id", index=True)
    url: str = Field(max_length=500)
    secret: str = Field(max_length=100)
    events: list[str] = Field(
        default_factory=lambda: list(WEBHOOK_EVENTS), sa_column=Column(JSON, nullable=False)
    )
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow)
