"""No dead ends for auditors: cancel a planned audit, move a corrective action's due date, reopen a closed
one; each with a reason, kept in the record and the audit log, and refused with a clear code when it
makes no sense."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from registry.errors import DomainError
from registry.models import Audit, AuditLogEntry, Finding
from registry.services import accreditation, auditlog, audits, checks, dashboard
from registry.timeutil import add_months, today
from tests import factories

AUDITOR = "auditor@example.org"


class Cfg:
    surveillance_interval_months = 12
    major_finding_due_days = 90
    minor_finding_due_days = 180


def refused(s, code: str, fn, *args, **kw) -> DomainError:
    with pytest.raises(DomainError) as e, s.begin_nested():
        fn(*args, **kw)
    assert e.value.code == code, e.value
    return e.value


def logged(s, entity: str) -> list[dict]:
    rows = s.scalars(select(AuditLogEntry).where(AuditLogEntry.entity == entity).order_by(AuditLogEntry.seq))
    return [{**json.loads(e.data), "action": e.action, "logged_by": e.actor} for e in rows]


@pytest.fixture
def rec(session):
    rec = factories.accredited(session, name="Correctfield Manpower Pvt. Ltd.")
    auditlog.set_actor(session, AUDITOR)
    return rec


def planned(s, rec, kind="surveillance", days=20):
    return audits.plan(s, rec, kind=kind, planned_date=today() + timedelta(days=days), actor=AUDITOR)


def test_a_planned_audit_is_cancelled_with_a_reason_once(session, rec):
    audit = planned(session, rec)
    refused(session, "reason_required", audits.cancel, session, audit, reason="", actor=AUDITOR)
    assert session.get(Audit, audit.id).cancelled_at is None
    audits.cancel(session, audit, reason="certification body withdrew", actor=AUDITOR)
    assert (audit.cancelled_by, audit.cancel_reason) == (AUDITOR, "certification body withdrew")
    assert audit.cancelled_at is not None
    refused(session, "audit_already_cancelled", audits.cancel, session, audit, reason="again", actor=AUDITOR)
    # a cancelled audit takes no outcome and no finding, and is not the open audit any more
    refused(
        session,
        "audit_cancelled",
        audits.record_outcome,
        session,
        audit,
        performed_date=today(),
        outcome="conforming",
    )
    refused(
        session,
        "audit_cancelled",
        audits.add_finding,
        session,
        audit,
        principle="P2",
        severity="minor",
        description="x",
    )
    assert audits.open_audit(session, rec.id) is None
    [update] = [e for e in logged(session, "audit") if e["action"] == "update" and "cancel_reason" in e]
    assert update["cancel_reason"] == [None, "certification body withdrew"] and update["logged_by"] == AUDITOR


def test_a_performed_audit_cannot_be_cancelled(session, rec):
    done = factories.performed_audit(session, rec, kind="surveillance")
    err = refused(session, "audit_already_performed", audits.cancel, session, done, reason="x", actor=AUDITOR)
    assert err.params["audit"] == done.id


def test_cancelled_audits_are_listed_apart_and_not_counted_as_due(session, rec):
    keep, drop = planned(session, rec, days=10), planned(session, rec, kind="special", days=5)
    audits.cancel(session, drop, reason="complaint withdrawn", actor=AUDITOR)
    page = audits.list_page(session, state="planned", kind="", page=1, per_page=50, as_of=today())
    assert [a.id for a, _pid, _name in page.rows] == [keep.id]
    page = audits.list_page(session, state="cancelled", kind="", page=1, per_page=50, as_of=today())
    assert [a.id for a, _pid, _name in page.rows] == [drop.id]
    assert dashboard.audits_due(session, today()) == 1


def test_after_a_cancelled_surveillance_audit_the_check_plans_a_new_one(session, rec):
    as_of = add_months(today(), 13)
    assert checks.surveillance_due(session, as_of, Cfg()).counts.get("audits planned") == 1
    [planned_by_check] = session.scalars(select(Audit).where(Audit.created_by == "system:surveillance_due"))
    assert checks.surveillance_due(session, as_of, Cfg()).changes == []  # one is planned already
    audits.cancel(session, planned_by_check, reason="visit impossible this month", actor=AUDITOR)
    again = checks.surveillance_due(session, as_of, Cfg())
    assert again.counts.get("audits planned") == 1


def test_findings_on_a_cancelled_audit_stay_open(session, rec):
    audit = planned(session, rec)
    finding = audits.add_finding(
        session, audit, principle="P2", severity="major", description="passports kept"
    )
    audits.cancel(session, audit, reason="replaced by a special audit", actor=AUDITOR)
    session.refresh(finding)
    assert finding.closed_at is None and finding.due_date is not None


def finding(s, rec, severity="major"):
    audit = factories.performed_audit(s, rec, kind="surveillance")
    return audits.add_finding(s, audit, principle="P2", severity=severity, description="passports kept")


def test_a_due_date_is_changed_with_a_reason_and_the_old_date_is_kept(session, rec):
    f = finding(session, rec)
    old = f.due_date
    new = today() + timedelta(days=120)
    kw = {"actor": AUDITOR}
    refused(session, "reason_required", audits.change_due_date, session, f, due_date=new, reason=" ", **kw)
    refused(session, "due_date_required", audits.change_due_date, session, f, due_date=None, reason="x", **kw)
    past = today() - timedelta(days=1)
    refused(session, "due_date_in_past", audits.change_due_date, session, f, due_date=past, reason="x", **kw)
    refused(session, "due_date_unchanged", audits.change_due_date, session, f, due_date=old, reason="x", **kw)
    assert session.get(Finding, f.id).due_date == old
    audits.change_due_date(session, f, due_date=new, reason="recruiter asked for time to repay", **kw)
    assert f.due_date == new
    [ev] = audits.history(session, [f.id])[f.id]
    assert (ev.kind, ev.due_before, ev.due_after, ev.reason, ev.actor) == (
        "due_date_changed",
        old,
        new,
        "recruiter asked for time to repay",
        AUDITOR,
    )
    assert [e["kind"] for e in logged(session, "finding_event")] == ["due_date_changed"]
    assert any(e.get("due_date") == [old.isoformat(), new.isoformat()] for e in logged(session, "finding"))
    audits.close_finding(session, f, evidence="repaid", actor=AUDITOR)
    refused(
        session,
        "finding_closed",
        audits.change_due_date,
        session,
        f,
        due_date=new + timedelta(days=1),
        reason="x",
        **kw,
    )


def test_a_moved_due_date_keeps_the_overdue_check_off_until_then(session, rec):
    f = finding(session, rec)
    audits.change_due_date(
        session, f, due_date=f.due_date + timedelta(days=30), reason="extension agreed", actor=AUDITOR
    )
    assert checks.overdue_corrective_actions(session, f.due_date - timedelta(days=1), Cfg()).changes == []
    assert accreditation.get(session, rec.id).status == "accredited"
    checks.overdue_corrective_actions(session, f.due_date + timedelta(days=1), Cfg())
    assert accreditation.get(session, rec.id).status == "suspended"


def test_a_closed_corrective_action_is_reopened_with_a_reason(session, rec):
    f = finding(session, rec, severity="minor")
    kw = {"actor": AUDITOR}
    refused(session, "finding_not_closed", audits.reopen, session, f, reason="x", **kw)
    audits.close_finding(session, f, evidence="policy changed", actor="other@example.org")
    refused(session, "reason_required", audits.reopen, session, f, reason="", **kw)
    past = today() - timedelta(days=1)
    refused(session, "due_date_in_past", audits.reopen, session, f, reason="x", due_date=past, **kw)
    assert session.get(Finding, f.id).closed_at is not None
    new = today() + timedelta(days=30)
    audits.reopen(session, f, reason="workers still charged", due_date=new, **kw)
    assert (f.closed_at, f.closed_by, f.closure_evidence, f.due_date) == (None, None, None, new)
    [ev] = audits.history(session, [f.id])[f.id]
    assert ev.kind == "reopened" and ev.reason == "workers still charged" and ev.due_after == new
    assert "policy changed" in ev.detail and "other@example.org" in ev.detail  # the closure it replaced
    # closed and reopened again: the history grows, nothing is overwritten
    audits.close_finding(session, f, evidence="new policy signed", actor=AUDITOR)
    audits.reopen(session, f, reason="still charged", **kw)
    assert f.due_date == new  # no date given: kept
    assert [e.kind for e in audits.history(session, [f.id])[f.id]] == ["reopened", "reopened"]
