from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from registry.timeutil import utcnow


class AuditKind(StrEnum):
    initial = "initial"
    surveillance = "surveillance"
    recertification = "recertification"
    special = "special"


class Severity(StrEnum):
    major = "major"
    minor = "minor"
    observation = "observation"


class Principle(StrEnum):
    A1 = "A1"
    A2 = "A2"
    A3 = "A3"
    B = "B"
    P1 = "P1"
    P2 = "P2"
    P3 = "P3"
    P4 = "P4"
    P5 = "P5"


PRINCIPLE_TITLES = {
    "A1": "Respect for applicable law",
    "A2": "No forced labour",
    "A3": "No recruitment of anyone under 18",
    "B": "Ethical and professional conduct",
    "P1": "No recruitment fees or related costs charged to jobseekers (Employer Pays)",
    "P2": "Freedom of movement (no retention of passports or identity documents)",
    "P3": "Transparency of terms and conditions of employment",
    "P4": "Confidentiality and data protection",
    "P5": "Access to remedy",
}


class AuditOutcome(StrEnum):
    conforming = "conforming"
    nonconforming = "nonconforming"
    inconclusive = "inconclusive"


class AuditBase(SQLModel):
    kind: str = Field(max_length=20)
    certification_body: str = Field(default="", max_length=200)
    lead_auditor: str = Field(default="", max_length=200)
    planned_date: date | None = None


class Audit(AuditBase, table=True):
    __tablename__ = "audit"
    __table_args__ = (Index("ix_audit_recruiter_performed", "recruiter_id", "performed_date"),)

    id: int | None = Field(default=None, primary_key=True)
    recruiter_id: int = Field(foreign_key="recruiter.id", index=True)
    performed_date: date | None = None
    outcome: str | None = Field(default=None, max_length=20)
    summary: str = Field(default="", max_length=4000)
    created_by: str = Field(default="", max_length=200)
    created_at: datetime = Field(default_factory=utcnow)
    # A planned audit that will not take place: who cancelled it, when and why.
    cancelled_at: datetime | None = None
    cancelled_by: str | None = Field(default=None, max_length=200)
    cancel_reason: str | None = Field(default=None, max_length=2000)


class Finding(SQLModel, table=True):
    __tablename__ = "finding"
    __table_args__ = (Index("ix_finding_open", "severity", "closed_at", "due_date"),)

    id: int | None = Field(default=None, primary_key=True)
    audit_id: int = Field(foreign_key="audit.id", index=True)
    recruiter_id: int = Field(foreign_key="recruiter.id", index=True)
    principle: str = Field(max_length=4)
    severity: str = Field(max_length=12)
    description: str = Field(max_length=4000)
    corrective_action: str = Field(default="", max_length=4000)
    due_date: date | None = None
    report_id: int | None = Field(default=None, foreign_key="fee_report.id", index=True)
    closed_at: datetime | None = None
    closed_by: str | None = Field(default=None, max_length=200)
    closure_evidence: str | None = Field(default=None, max_length=4000)
    created_at: datetime = Field(default_factory=utcnow)


class FindingEventKind(StrEnum):
    due_date_changed = "due_date_changed"
    reopened = "reopened"  # a closed corrective action was opened again
    withdrawn = "withdrawn"  # closed because the fee report behind it is no longer substantiated


class FindingEvent(SQLModel, table=True):
    """History of the corrections of a finding: due-date changes, reopenings, withdrawals; each with
    who, when and why. ``detail`` keeps what the change replaced (e.g. the closure it reopened)."""

    __tablename__ = "finding_event"

    id: int | None = Field(default=None, primary_key=True)
    finding_id: int = Field(foreign_key="finding.id", index=True)
    recruiter_id: int = Field(foreign_key="recruiter.id")
    kind: str = Field(max_length=20)
    due_before: date | None = None
    due_after: date | None = None
    reason: str = Field(default="", max_length=2000)
    detail: str = Field(default="", max_length=4000)
    actor: str = Field(default="", max_length=200)
    at: datetime = Field(default_factory=utcnow)
