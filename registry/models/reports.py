from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Index, Numeric, UniqueConstraint
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


class RepaymentKind(StrEnum):
    entry = "entry"  # adds its amount to its state's total
    reversal = "reversal"  # takes back the entry it reverses (same state, amount and currency)


class ReportEventKind(StrEnum):
    linked = "linked"  # the report was linked to a registered recruiter (or the link was corrected)
    triaged = "triaged"  # first triage decision
    revised = "revised"  # a triage decision was revised


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
    """Repayment ledger of a fee report: claimed -> verified -> repaid, append-only.

    An entry is never edited or deleted: a mistake is taken back by a reversing entry
    (``kind="reversal"``) that names the entry it reverses (``reverses_id``, at most once) and says why
    (``reason``). The amount is always positive; the kind says whether it adds or subtracts.
    """

    __tablename__ = "repayment_entry"

    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(foreign_key="fee_report.id", index=True)
    kind: str = Field(
        default=RepaymentKind.entry, max_length=12, sa_column_kwargs={"server_default": RepaymentKind.entry}
    )
    state: str = Field(max_length=12)
    amount: Decimal = Field(sa_type=Numeric(14, 2))
    currency: str = Field(max_length=3)
    on_date: date
    note: str = Field(default="", max_length=2000)
    reverses_id: int | None = Field(default=None, foreign_key="repayment_entry.id", unique=True)
    reason: str = Field(default="", max_length=2000, sa_column_kwargs={"server_default": ""})
    created_by: str = Field(default="", max_length=200)
    created_at: datetime = Field(default_factory=utcnow)


class ReportEvent(SQLModel, table=True):
    """History of the decisions on a fee report: linking to a recruiter, triage, revisions.

    ``before``/``after`` are triage statuses (triaged, revised) or recruiter public ids (linked; empty:
    none). Written in the same transaction as the change, and audit-logged like it.
    """

    __tablename__ = "report_event"

    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(foreign_key="fee_report.id", index=True)
    recruiter_id: int | None = Field(default=None, foreign_key="recruiter.id")
    kind: str = Field(max_length=12)
    before: str = Field(default="", max_length=20)
    after: str = Field(default="", max_length=20)
    reason: str = Field(default="", max_length=2000)
    actor: str = Field(default="", max_length=200)
    at: datetime = Field(default_factory=utcnow)


class FeeReportLine(SQLModel, table=True):
    """One fee of a report (a worker usually pays one agency several fees): category, amount, currency
    and its USD value on the day paid. The report's own amount columns hold the total of its lines."""

    __tablename__ = "fee_report_line"
    __table_args__ = (UniqueConstraint("report_id", "position", name="uq_fee_report_line_position"),)

    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(foreign_key="fee_report.id", index=True)
    position: int = Field(default=0)
    category: str = Field(max_length=24)
    amount: Decimal = Field(sa_type=Numeric(14, 2))
    currency: str = Field(max_length=3)
    amount_usd: Decimal | None = Field(default=None, sa_type=Numeric(14, 2))
