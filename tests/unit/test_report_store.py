"""A fee report is stored with Core statements (reports._store): the same rows, the same audit-log entry as
the flush hook writes, and a repeated submission that slips past the first check changes nothing."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import func, inspect, select, text
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from registry.db import session_scope
from registry.models import AuditLogEntry, FeeReport, FeeReportLine
from registry.services import auditlog, auditlog_verify, fees, reports
from registry.settings import CONFIG_DIR
from tests import factories

FX = fees.fx_table(str(CONFIG_DIR / "fx_rates.csv"))


def _data(recruiter_id: int, lines: list[fees.ReportLine] | None = None) -> fees.ReportInput:
    return fees.ReportInput(
        category="recruitment_fee",
        amount="1500",
        currency="USD",
        lines=lines or [],
        paid_on=date(2025, 6, 2),
        destination_country="qa",
        origin_country="np",
        recruiter_id=recruiter_id,
        recruiter_text="Himal Crest\u200b",
        free_text="paid in cash at the office",
        consent=True,
    )


def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def test_the_report_its_lines_and_its_log_entry(engine):
    with session_scope(engine) as session:
        rec = factories.accredited(session, name="Kestrel Peak Manpower")
        rec_id = rec.id
    lines = [
        fees.ReportLine(category="recruitment_fee", amount="1000", currency="USD"),
        fees.ReportLine(category="medical", amount="9000", currency="NPR"),
    ]
    with session_scope(engine, write=True) as session:
        auditlog.set_actor(session, "bot:report")
        report, created = reports.submit(
            session, _data(rec_id, lines), reporter_key="k" * 64, submission_key="store-1", fx=FX
        )
        assert created and report.id is not None
        # persistent in the session, as a flushed object would be: read again without a statement
        assert inspect(report).persistent
        assert session.get(FeeReport, report.id) is report
        expected = auditlog._snapshot(report, auditlog.TRACKED[FeeReport][1])
        report_id = report.id
    with Session(engine) as session:
        stored = session.get(FeeReport, report_id)
        assert stored.case_code == report.case_code and stored.destination_country == "QA"
        assert (
            stored.recruiter_text == reports.cleantext.clean_text("Himal Crest\u200b")
            and stored.reporter_key == "k" * 64
        )
        assert [(x.position, x.category, x.currency) for x in reports.lines_of(session, stored)] == [
            (0, "recruitment_fee", "USD"),
            (1, "medical", "NPR"),
        ]
        entries = session.scalars(select(AuditLogEntry).where(AuditLogEntry.entity == "fee_report")).all()
        assert len(entries) == 1
        entry = entries[0]
        assert (entry.action, entry.entity_id, entry.recruiter_id, entry.actor) == (
            "create",
            str(report_id),
            rec_id,
            "bot:report",
        )
        assert entry.chain == rec_id
        # exactly what the flush hook records for a new row: every column but the personal ones
        assert json.loads(entry.data) == json.loads(auditlog.canonical(expected))
        assert not {"reporter_key", "free_text", "receipt_file_id", "submission_key"} & set(expected)
        assert auditlog_verify.verify(session).ok


def test_a_repeated_submission_past_the_first_check_changes_nothing(engine, monkeypatch):
    with session_scope(engine) as session:
        rec = factories.accredited(session, name="Kestrel Peak Manpower")
        rec_id = rec.id
    with session_scope(engine, write=True) as session:
        first, created = reports.submit(
            session, _data(rec_id), reporter_key=None, submission_key="dup-1", fx=FX
        )
        assert created
    with Session(engine) as session:
        before = (_count(session, FeeReport), _count(session, FeeReportLine), _count(session, AuditLogEntry))
    # A concurrent delivery of the same submission: the first check saw nothing, the insert meets the row.
    monkeypatch.setattr(reports, "_existing_and_recruiter", lambda *_a: (None, True))
    with session_scope(engine, write=True) as session:
        again, created = reports.submit(
            session, _data(rec_id), reporter_key=None, submission_key="dup-1", fx=FX
        )
        assert not created and again.id == first.id and again.case_code == first.case_code
        # the transaction goes on (no savepoint needed): a later write in it commits
        factories.recruiter(session, name="Sorrel Bay Recruiting")
    with Session(engine) as session:
        after = (_count(session, FeeReport), _count(session, FeeReportLine), _count(session, AuditLogEntry))
        assert after[:2] == before[:2]
        assert after[2] > before[2]  # the recruiter's entries only
        assert session.scalar(select(func.count()).where(AuditLogEntry.entity == "fee_report")) == 1
        assert auditlog_verify.verify(session).ok


def test_no_log_entry_when_the_log_is_off_for_the_session(engine):
    with session_scope(engine) as session:
        rec_id = factories.accredited(session).id
    with session_scope(engine, write=True) as session:
        session.info["auditlog_disabled"] = True
        reports.submit(session, _data(rec_id), reporter_key=None, submission_key="quiet-1", fx=FX)
    with Session(engine) as session:
        assert _count(session, FeeReport) == 1
        assert session.scalar(select(func.count()).where(AuditLogEntry.entity == "fee_report")) == 0


def test_the_report_locks_its_chain_head_until_it_commits(engine):
    """PostgreSQL writes the report, its lines and the lock of its chain's head in one statement: a
    writer about the same recruiter waits for the head; another recruiter's chain is free."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time")
    with session_scope(engine) as session:
        rec_id = factories.accredited(session, name="Kestrel Peak Manpower").id
        other_id = factories.accredited(session, name="Sorrel Bay Recruiting").id
    with Session(engine) as session:
        reports.submit(session, _data(rec_id), reporter_key=None, submission_key="lock-1", fx=FX)
        with engine.connect() as other:
            with pytest.raises(OperationalError, match="could not obtain lock"):
                other.execute(
                    text("SELECT seq FROM audit_chain WHERE chain = :c FOR UPDATE NOWAIT"), {"c": rec_id}
                )
            other.rollback()
            free = other.execute(
                text("SELECT seq FROM audit_chain WHERE chain = :c FOR UPDATE NOWAIT"), {"c": other_id}
            ).scalar()
            assert free is not None
            other.rollback()
        session.commit()
    with Session(engine) as session:
        assert auditlog_verify.verify(session).ok


def test_a_recruiter_without_a_chain_head_gets_one(engine):
    with session_scope(engine) as session:
        session.info["auditlog_disabled"] = True  # written without the log: no head for its chain
        rec_id = factories.recruiter(session, name="Kestrel Peak Manpower").id
    with Session(engine) as session:
        assert session.scalar(text("SELECT count(*) FROM audit_chain WHERE chain = :c"), {"c": rec_id}) == 0
    with session_scope(engine, write=True) as session:
        reports.submit(session, _data(rec_id), reporter_key=None, submission_key="new-head", fx=FX)
    with Session(engine) as session:
        head = session.execute(text("SELECT seq FROM audit_chain WHERE chain = :c"), {"c": rec_id}).scalar()
        assert head == 1
        assert auditlog_verify.verify(session).ok
