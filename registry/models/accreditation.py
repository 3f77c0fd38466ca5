from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from registry.timeutil import utcnow


class AccreditationStatus(StrEnum):
    applicant = "applicant"
    accredited = "accredited"
    rejected = "rejected"
    suspended = "suspended"
    expired = "expired"
    withdrawn = "withdrawn"


class Accreditation(SQLModel, table=True):
    """The one current accreditation state of a recruiter (history in AccreditationEvent)."""

    __tablename__ = "accreditation"

    recruiter_id: int = Field(foreign_key="recruiter.id", primary_key=True)
    status: str = Field(default=AccreditationStatus.applicant, max_length=20, index=True)
    since: datetime = Field(default_factory=utcnow)
    valid_from: date | None = None
    valid_until: date | None = Field(default=None, index=True)
    certificate_number: str | None = Field(default=None, max_length=40, unique=True)
    updated_at: datetime = Field(default_factory=utcnow)


class AccreditationEvent(SQLModel, table=True):
    """One move of the state machine: who, when, why and the evidence behind it."""

    __tablename__ = "accreditation_event"

    id: int | None = Field(default=None, primary_key=True)
    recruiter_id: int = Field(foreign_key="recruiter.id", index=True)
    from_status: str | None = Field(default=None, max_length=20)
    to_status: str = Field(max_length=20)
    at: datetime = Field(default_factory=utcnow, index=True)
    actor: str = Field(max_length=200, description="user email, or 'system:<check>'")
    reason: str = Field(max_length=2000)
    audit_id: int | None = Field(default=None, foreign_key="audit.id")
    report_id: int | None = Field(default=None, foreign_key="fee_report.id")
    valid_from: date | None = None
    valid_until: date | None = None
