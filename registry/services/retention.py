"""Retention: personal data in closed fee reports is erased after a configurable period.

A report is closed once triaged (substantiated, unsubstantiated, duplicate, out of scope). After
``retention_days`` the reporter key (the only link to the worker's chat), the free text and the
receipt photo reference are set to NULL, and the chat's subscription to the case (its raw chat id) is
deleted; category, amount, dates, corridor, triage outcome and the repayment ledger stay, so aggregates
and findings keep their evidence value. One UPDATE and one DELETE, and one audit-log entry per erased
report, in the same transaction.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import delete, or_, select, update
from sqlmodel import Session, col

from registry.models import CaseSubscription, FeeReport
from registry.models.reports import TriageStatus
from registry.services import auditlog
from registry.timeutil import utcnow


def erase_closed_reports(session: Session, *, as_of: date, days: int) -> list[str]:
    """Erase personal data of reports triaged before as_of - days; returns the erased case codes."""
    cutoff = datetime.combine(as_of - timedelta(days=days), time.min, tzinfo=UTC)
    now = utcnow()
    closed = select(col(FeeReport.id)).where(
        col(FeeReport.triage_status) != TriageStatus.new, col(FeeReport.triaged_at) < cutoff
    )
    session.execute(
        delete(CaseSubscription)
        .where(col(CaseSubscription.report_id).in_(closed))
        .execution_options(synchronize_session=False)
    )
    rows = session.execute(
        update(FeeReport)
        .where(
            col(FeeReport.triage_status) != TriageStatus.new,
            col(FeeReport.triaged_at) < cutoff,
            or_(
                col(FeeReport.reporter_key).is_not(None),
                col(FeeReport.free_text).is_not(None),
                col(FeeReport.receipt_file_id).is_not(None),
            ),
        )
        .values(reporter_key=None, free_text=None, receipt_file_id=None, erased_at=now)
        .returning(col(FeeReport.id), col(FeeReport.case_code), col(FeeReport.recruiter_id))
        .execution_options(synchronize_session=False)
    ).all()
    if rows:
        actor = session.info.get("actor", "system:retention")
        auditlog.append(
            session.connection(),
            (
                auditlog.PendingEntry(
                    actor,
                    "update",
                    "fee_report",
                    str(rid),
                    rec_id,
                    {"erased_at": [None, now.isoformat()], "personal_data": "erased"},
                )
                for rid, _code, rec_id in rows
            ),
            at=now,
        )
    return [code for _rid, code, _rec in rows]
