"""Retention: personal data of reports closed longer than the configured period is erased from the
database; aggregates (category, amount, corridor, triage) stay."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import func, select, text

from registry.models import AuditLogEntry, FeeReport
from registry.services import auditlog_verify, checks
from registry.timeutil import today, utcnow
from tests import factories


def report(session, rec, n, *, triage="substantiated", triaged_days_ago=None):
    r = FeeReport(
        case_code=f"FR-RET{n}",
        submission_key=f"ret-{n}",
        recruiter_id=rec.id,
        category="medical",
        amount=Decimal("120.50"),
        currency="USD",
        amount_usd=Decimal("120.50"),
        destination_country="QA",
        origin_country="NP",
        reporter_key=f"key-{n}",
        free_text=f"secret story {n}",
        receipt_file_id=f"AgADreceipt{n}",
        triage_status=triage,
        consent_at=utcnow(),
        triaged_at=None if triaged_days_ago is None else utcnow() - timedelta(days=triaged_days_ago),
    )
    session.add(r)
    session.flush()
    return r


def test_closed_reports_past_the_period_lose_personal_data_only(session, settings, engine):
    settings.retention_days = 30
    rec = factories.accredited(session)
    old = report(session, rec, 1, triaged_days_ago=31)
    boundary = report(session, rec, 2, triage="unsubstantiated", triaged_days_ago=29)
    fresh_new = report(session, rec, 3, triage="new")
    session.commit()

    result = checks.run(session, "retention", as_of=today(), settings=settings)
    session.commit()
    assert result.counts == {"reports erased": 1}
    assert result.changes == ["case FR-RET1: personal data erased"]

    # straight from the database, not through the ORM
    with engine.connect() as conn:
        rows = {
            r.case_code: r
            for r in conn.execute(
                text(
                    "SELECT case_code, reporter_key, free_text, receipt_file_id, category, amount, erased_at, triage_status "
                    "FROM fee_report"
                )
            )
        }
    gone = rows[old.case_code]
    assert (gone.reporter_key, gone.free_text, gone.receipt_file_id) == (None, None, None)
    assert gone.erased_at is not None
    assert (gone.category, Decimal(gone.amount), gone.triage_status) == (
        "medical",
        Decimal("120.50"),
        "substantiated",
    )
    for kept in (boundary, fresh_new):
        row = rows[kept.case_code]
        assert row.reporter_key and row.free_text and row.receipt_file_id and row.erased_at is None
    # nowhere else in the database either (the audit log never stored it)
    with engine.connect() as conn:
        dump = " ".join(str(v) for row in conn.execute(text("SELECT * FROM audit_log")) for v in row)
    assert "secret story 1" not in dump and "key-1" not in dump and "AgADreceipt1" not in dump
    entry = session.scalars(
        select(AuditLogEntry)
        .where(AuditLogEntry.entity == "fee_report", AuditLogEntry.entity_id == str(old.id))
        .order_by(AuditLogEntry.seq.desc())
    ).first()
    assert entry.actor == "system:retention" and "erased_at" in entry.data
    assert auditlog_verify.verify(session).ok

    # aggregates stay: every report still counts
    assert session.scalar(select(func.count()).select_from(FeeReport)) == 3
    assert session.scalar(select(func.sum(FeeReport.amount_usd))) == Decimal("361.50")

    again = checks.run(session, "retention", as_of=today(), settings=settings)
    session.commit()
    assert again.changes == []


def test_retention_period_boundary(session, settings):
    settings.retention_days = 10
    rec = factories.accredited(session)
    report(session, rec, 1, triaged_days_ago=5)
    session.commit()
    as_of = today()
    assert checks.run(session, "retention", as_of=as_of + timedelta(days=5), settings=settings).changes == []
    session.commit()
    # triaged 5 days ago = as_of - 5; erased once that day is more than 10 days before as_of
    assert checks.run(session, "retention", as_of=as_of + timedelta(days=6), settings=settings).counts == {
        "reports erased": 1
    }
