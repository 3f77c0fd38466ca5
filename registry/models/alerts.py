from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from registry.timeutil import utcnow


class Alert(SQLModel, table=True):
    """Raised by compliance checks. `key` makes raising idempotent (one alert per subject)."""

    __tablename__ = "alert"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200, unique=True)
    kind: str = Field(max_length=40, index=True)
    recruiter_id: int | None = Field(default=None, foreign_key="recruiter.id", index=True)
    details: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    opened_at: datetime = Field(default_factory=utcnow)
    resolved_at: datetime | None = Field(default=None, index=True)
    resolved_by: str | None = Field(default=None, max_length=200)
