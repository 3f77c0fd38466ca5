"""Compliance checks: effects, boundary dates, idempotency (a second run changes nothing)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from registry.models import (
    Accreditation,
    AccreditationEvent,
    Alert,
    Audit,
    AuditLogEntry,
    FeeReport,
    Finding,
    OutboxMessage,
    WebhookEndpoint,
)
from registry.services import accreditation, audits, checks, companies
from registry.services.checks import CHECKS
from registry.timeutil import add_months, today, utcnow
from tests import factories


def run(session, settings, name, as_of):
    result = checks.run(session, name, as_of=as_of, settings=settings)
    session.commit()
    return result


def run_twice(session, settings, name, as_of):
    first = run(session, settings, name, as_of)
    counts = table_counts(session)
    second = run(session, settings, name, as_of)
    assert second.changes == [], second.changes
    assert table_counts(session) == counts, "the second run changed the database"
    return first


def table_counts(session):
    return {
        m.__name__: session.scalar(select(func.count()).select_from(m))
        for m in (Alert, Audit, AccreditationEvent, Finding, OutboxMessage, AuditLogEntry)
    }


def status(session, rec):
    session.expire_all()
    return accreditation.get(session, rec.id).status


def valid_until(session, rec) -> date:
    return accreditation.get(session, rec.id).valid_until


def test_every_check_is_registered_with_a_schedule():
    assert set(CHECKS) == {
        "accreditation_expiry",
        "overdue_corrective_actions",
        "surveillance_due",
        "fee_report_signals",
        "licence_register",
        "retention",
    }
    for c in CHECKS.values():
        assert c.schedule and c.doc


# --- accreditation expiry -----------------------------------------------------------------------


def test_expiry_on_the_last_valid_day_keeps_then_expires_the_day_after(session, settings):
    rec = factories.accredited(session)
    other = factories.accredited(session)
    session.commit()
    vu = valid_until(session, rec)

    r = run(session, settings, "accreditation_expiry", vu)  # the expiry day itself: still valid
    assert status(session, rec) == "accredited"
    assert r.counts.get("expired", 0) == 0
    assert r.counts["reminders"] == 2  # the 7-day reminder for both

    r = run_twice(session, settings, "accreditation_expiry", vu + timedelta(days=1))
    assert status(session, rec) == "expired" and status(session, other) == "expired"
    assert r.counts["expired"] == 2
    ev = accreditation.history(session, rec.id)[-1]
    assert (ev.from_status, ev.to_status, ev.actor) == (
        "accredited",
        "expired",
        "system:accreditation_expiry",
    )
    assert vu.isoformat() in ev.reason
    assert any(line.startswith(rec.public_id) for line in r.changes)


def test_expiry_reminder_boundaries(session, settings):
    rec = factories.accredited(session)
    session.commit()
    vu = valid_until(session, rec)
    seen: set[str] = set()
    # days left -> the reminder newly raised that day (90/30/7 days before, each once)
    for days_left, stage in [(91, None), (90, 90), (31, None), (30, 30), (8, None), (7, 7), (0, None)]:
        run_twice(session, settings, "accreditation_expiry", vu - timedelta(days=days_left))
        keys = set(session.scalars(select(Alert.key).where(Alert.kind == "expiry_reminder")))
        new = keys - seen
        assert new == ({f"expiry_reminder:{rec.id}:{vu.isoformat()}:{stage}"} if stage else set()), days_left
        seen = keys
    assert status(session, rec) == "accredited"


def test_reminder_stage_is_the_most_urgent_one_reached(session, settings):
    rec = factories.accredited(session)
    session.commit()
    vu = valid_until(session, rec)
    run(
        session, settings, "accreditation_expiry", vu - timedelta(days=8)
    )  # first run inside the 30-day window
    assert session.scalars(select(Alert.key)).all() == [f"expiry_reminder:{rec.id}:{vu.isoformat()}:30"]


def test_reminders_follow_the_configured_days(session, settings):
    settings.expiry_reminder_days = [14]
    rec = factories.accredited(session)
    session.commit()
    vu = valid_until(session, rec)
    run(session, settings, "accreditation_expiry", vu - timedelta(days=30))
    assert session.scalar(select(func.count()).select_from(Alert)) == 0
    run(session, settings, "accreditation_expiry", vu - timedelta(days=14))
    assert session.scalars(select(Alert.key)).all() == [f"expiry_reminder:{rec.id}:{vu.isoformat()}:14"]


def test_each_reminder_stage_once(session, settings):
    rec = factories.accredited(session)
    session.commit()
    vu = valid_until(session, rec)
    for left in (90, 60, 30, 20, 7, 3):
        run(session, settings, "accreditation_expiry", vu - timedelta(days=left))
    stages = sorted(a.details["days_before"] for a in session.scalars(select(Alert)))
    assert stages == [7, 30, 90]


def test_expiry_ignores_other_states(session, settings):
    rec = factories.accredited(session)
    accreditation.decide(session, rec, "suspend", actor="a@x.org", reason="investigation")
    session.commit()
    vu = valid_until(session, rec)
    r = run(session, settings, "accreditation_expiry", vu + timedelta(days=10))
    assert r.changes == [] and status(session, rec) == "suspended"


# --- overdue corrective actions -----------------------------------------------------------------


def _finding(session, rec, severity, due):
    audit = factories.performed_audit(session, rec, kind="surveillance")
    return audits.add_finding(
        session, audit, principle="P2", severity=severity, description="passports kept", due_date=due
    )


def test_major_overdue_suspends_from_the_day_after_due(session, settings):
    rec = factories.accredited(session)
    due = today() + timedelta(days=10)
    f = _finding(session, rec, "major", due)
    session.commit()

    r = run(session, settings, "overdue_corrective_actions", due)  # due date itself: not overdue
    assert r.changes == [] and status(session, rec) == "accredited"

    r = run_twice(session, settings, "overdue_corrective_actions", due + timedelta(days=1))
    assert status(session, rec) == "suspended"
    assert r.counts == {"suspended": 1, "alerts": 1}
    ev = accreditation.history(session, rec.id)[-1]
    assert ev.actor == "system:overdue_corrective_actions" and f"#{f.id}" in ev.reason
    alert = session.scalars(select(Alert)).one()
    assert (alert.key, alert.kind, alert.recruiter_id) == (
        f"overdue_finding:{f.id}",
        "overdue_major_finding",
        rec.id,
    )


def test_minor_overdue_only_alerts_and_closed_findings_are_ignored(session, settings):
    rec = factories.accredited(session)
    due = today() + timedelta(days=3)
    minor = _finding(session, rec, "minor", due)
    closed = _finding(session, rec, "major", due)
    audits.close_finding(session, closed, evidence="fixed", actor="a@x.org")
    _finding(session, rec, "observation", None)
    session.commit()
    r = run_twice(session, settings, "overdue_corrective_actions", due + timedelta(days=1))
    assert status(session, rec) == "accredited"
    assert r.counts == {"alerts": 1}
    assert session.scalars(select(Alert.key)).all() == [f"overdue_finding:{minor.id}"]


def test_overdue_major_of_suspended_recruiter_alerts_without_moving(session, settings):
    rec = factories.accredited(session)
    due = today()
    _finding(session, rec, "major", due)
    accreditation.decide(session, rec, "suspend", actor="a@x.org", reason="investigation")
    session.commit()
    r = run_twice(session, settings, "overdue_corrective_actions", due + timedelta(days=1))
    assert r.counts == {"alerts": 1} and status(session, rec) == "suspended"


# --- surveillance due ---------------------------------------------------------------------------


def test_surveillance_due_on_the_anniversary_of_the_last_audit(session, settings):
    rec = factories.accredited(session)
    session.commit()
    last = today()
    due = add_months(last, settings.surveillance_interval_months)

    r = run(session, settings, "surveillance_due", due - timedelta(days=1))
    assert r.changes == []

    r = run_twice(session, settings, "surveillance_due", due)  # the due date itself
    assert r.counts == {"audits planned": 1, "alerts": 1}
    planned = session.scalars(select(Audit).where(Audit.kind == "surveillance")).one()
    assert planned.planned_date == due and planned.performed_date is None
    assert planned.created_by == "system:surveillance_due"
    alert = session.scalars(select(Alert)).one()
    assert (
        alert.key == f"surveillance_due:{rec.id}:{due.isoformat()}"
        and alert.details["audit_id"] == planned.id
    )


def test_surveillance_interval_is_configurable(session, settings):
    settings.surveillance_interval_months = 6
    factories.accredited(session)
    session.commit()
    due = add_months(today(), 6)
    assert run(session, settings, "surveillance_due", due - timedelta(days=1)).changes == []
    assert run(session, settings, "surveillance_due", due).counts["audits planned"] == 1


# --- fee-report signals -------------------------------------------------------------------------


def _report(session, rec, reporter, *, created=None, triage="new"):
    n = session.scalar(select(func.count()).select_from(FeeReport)) + 1
    r = FeeReport(
        case_code=f"FR-T{n:03d}-X",
        submission_key=f"sub-{n}-{reporter}",
        recruiter_id=rec.id,
        category="recruitment_fee",
        amount=Decimal("500"),
        currency="USD",
        amount_usd=Decimal("500"),
        destination_country="QA",
        reporter_key=reporter,
        triage_status=triage,
        created_at=created or utcnow(),
        consent_at=utcnow(),
    )
    session.add(r)
    session.flush()
    return r


def test_fee_signal_needs_the_configured_number_of_distinct_reporters(session, settings):
    rec = factories.accredited(session)
    quiet = factories.accredited(session)
    _report(session, rec, "k1")
    _report(session, rec, "k1")
    _report(session, rec, "k2")
    _report(session, quiet, "k1")
    session.commit()
    assert run(session, settings, "fee_report_signals", today()).changes == []
    _report(session, rec, "k3")
    session.commit()
    r = run_twice(session, settings, "fee_report_signals", today())
    assert r.counts == {"alerts": 1, "special audits proposed": 1}
    alert = session.scalars(select(Alert)).one()
    assert alert.kind == "fee_signal" and alert.recruiter_id == rec.id and alert.details["reporters"] == 3
    special = session.scalars(select(Audit).where(Audit.kind == "special")).one()
    assert special.recruiter_id == rec.id and special.performed_date is None


def test_fee_signal_window_boundary_and_discounted_reports(session, settings):
    settings.fee_signal_window_days = 30
    rec = factories.accredited(session)
    as_of = today()
    start = utcnow() - timedelta(days=30)
    _report(
        session, rec, "k1", created=start.replace(hour=0, minute=0, second=0, microsecond=0)
    )  # first window day
    _report(session, rec, "k2", created=start - timedelta(days=1))  # outside the window
    _report(session, rec, "k3")
    _report(session, rec, "k4", triage="unsubstantiated")
    session.commit()
    assert run(session, settings, "fee_report_signals", as_of).changes == []
    _report(session, rec, "k5")
    session.commit()
    assert run(session, settings, "fee_report_signals", as_of).counts["alerts"] == 1


def test_substantiated_report_without_finding_gets_major_p1(session, settings):
    rec = factories.accredited(session)
    report = _report(session, rec, "k1", triage="substantiated")
    session.commit()
    r = run_twice(session, settings, "fee_report_signals", today())
    assert r.counts == {"P1 findings": 1}
    f = session.scalars(select(Finding)).one()
    assert (f.principle, f.severity, f.report_id, f.recruiter_id) == ("P1", "major", report.id, rec.id)
    assert f.due_date == today() + timedelta(days=settings.major_finding_due_days)


# --- licence register effects ---------------------------------------------------------------------


def test_licence_not_valid_alerts_and_suspends_accredited(session, settings):
    acc = factories.accredited(session)
    applicant = factories.recruiter(session)
    fine = factories.accredited(session)
    acc.licence_status = "cancelled"
    applicant.licence_status = "expired"
    fine.licence_status = "valid"
    session.commit()
    r = run_twice(session, settings, "licence_register", today())
    assert r.counts == {"suspended": 1, "alerts": 2}
    assert status(session, acc) == "suspended"
    assert status(session, applicant) == "applicant"
    assert status(session, fine) == "accredited"
    assert sorted(session.scalars(select(Alert.key))) == sorted(
        [f"licence:{acc.id}:cancelled", f"licence:{applicant.id}:expired"]
    )


# --- outbox: changes and their messages commit together -----------------------------------------


def test_alerts_and_status_changes_reach_subscribed_webhooks(session, settings):
    rec = factories.accredited(session)
    company, _ = companies.get_or_create(session, "Buyer Ltd")
    from registry.models import SupplierLink

    session.add(SupplierLink(company_id=company.id, recruiter_id=rec.id))
    session.add(WebhookEndpoint(company_id=company.id, url="http://127.0.0.1:9/x", secret="s" * 32))
    due = today()
    _finding(session, rec, "major", due)
    session.commit()
    run(session, settings, "overdue_corrective_actions", due + timedelta(days=1))
    types = sorted(session.scalars(select(OutboxMessage.event_type)))
    assert types == ["recruiter.alert_raised", "recruiter.status_changed"]
    ids = session.scalars(select(OutboxMessage.message_id)).all()
    assert len(set(ids)) == 2


def test_unknown_check_is_refused(session, settings):
    from registry.errors import InvalidInput

    with pytest.raises(InvalidInput, match="unknown check"):
        checks.run(session, "nope", as_of=today(), settings=settings)


def test_accreditation_rows_untouched_by_idle_checks(session, settings):
    factories.accredited(session)
    session.commit()
    before = table_counts(session)
    for name in CHECKS:
        assert run(session, settings, name, today()).changes == []
    assert table_counts(session) == before
    assert session.scalar(select(func.count()).select_from(Accreditation)) == 1
