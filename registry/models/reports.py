from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Index, Numeric
from sqlmodel import Field, SQLModel

from registry.timeutil import utcnow


class FeeCategory(StrEnum):
    recruitment_fee = "recruitment_fee"
    medical = "medical"
    insurance = "insurance"
    skills_test = "skills_test"
    training = "training"
    equipment = "equipment"
    travel_lodging = "travel_lodging"
    administrative = "administrative"
    deposit_or_bond = "deposit_or_bond"
    bribe_or_kickback = "bribe_or_kickback"
    other = "other"


class TriageStatus(StrEnum):
    new = "new"
    substantiated = "substantiated"
    unsubstantiated = "unsubstantiated"
    duplicate = "duplicate"
    out_of_scope = "out_of_scope"


class RepaymentState(StrEnum):
    claimed = "claimed"
    verified = "verified"
    repaid = "repaid"


class Channel(StrEnum):
    telegram = "telegram"
    web = "web"


class DatePrecision(StrEnum):
    """How much of the date paid the worker gave: a day, or a month and year only ("March 2026")."""

    day = "day"
    month = "month"


class FeeReport(SQLModel, table=True):
    __tablename__ = "fee_report"
    __table_args__ = (
        Index("ix_fee_report_recruiter_created", "recruiter_id", "created_at"),
        Index("ix_fee_report_triage_created", "triage_status", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_code: str = Field(max_length=16, unique=True, index=True)
    # Idempotency: the same submission (e.g. the same Telegram update) maps to the same key.
    submission_key: str = Field(max_length=128, unique=True)
    recruiter_id: int | None = Field(default=None, foreign_key="recruiter.id")
    recruiter_text: str = Field(default="", max_length=300)
    category: str = Field(max_length=24)
    amount: Decimal = Field(sa_type=Numeric(14, 2))
    currency: str = Field(max_length=3)
    amount_usd: Decimal | None = Field(default=None, sa_type=Numeric(14, 2))
    paid_on: date | None = None
    # "month": the worker gave only a month and year; paid_on is then the first of that month.
    paid_on_precision: str = Field(
        default=DatePrecision.day, max_length=5, sa_column_kwargs={"server_default": DatePrecision.day.value}
    )
    origin_country: str = Field(default="", max_length=2)
    destination_country: str = Field(default="", max_length=2)
    channel: str = Field(default=Channel.telegram, max_length=12)
    # Personal data (erased by retention and /forget): pseudonymous key, free text, receipt.
    reporter_key: str | None = Field(default=None, max_length=64, index=True)
    free_text: str | None = Field(default=None, max_length=2000)
    receipt_file_id: str | None = Field(default=None, max_length=300)
    consent_at: datetime | None = None
    triage_status: str = Field(default=TriageStatus.new, max_length=20)
    triage_note: str = Field(default="", max_length=2000)
    triaged_by: str | None = Field(default=None, max_length=200)
    triaged_at: datetime | None = None
    erased_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


class RepaymentEntry(SQLModel, table=True):
    """Repayment ledger of a fee report: claimed -> verified -> repaid."""

    __tablename__ = "repayment_entry"

    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(foreign_key="fee_report.id", index=True)
    state: str = Field(max_length=12)
    amount: Decimal = Field(sa_type=Numeric(14, 2))
    currency: str = Field(max_length=3)
    on_date: date
    note: str = Field(default="", max_length=2000)
    created_by: str = Field(default="", max_length=200)
    created_at: datetime = Field(default_factory=utcnow)
