"""No dead ends for fee reports: link an unmatched report to a recruiter, triage it, revise a decision
(with what that does to the P1 finding), and tell the worker who sent it, through the outbox, keeping
the raw chat id in the case subscription only (erased by /forget and retention)."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from registry.errors import DomainError
from registry.models import (
    AuditLogEntry,
    CaseSubscription,
    FeeReport,
    Finding,
    FindingEvent,
    OutboxMessage,
    ReportEvent,
)
from registry.services import auditlog, audits, checks, fees, follow, outbox, reports
from registry.services.fees import ReportInput
from registry.settings import CONFIG_DIR
from registry.timeutil import today, utcnow
from tests import factories

FX = fees.fx_table(str(CONFIG_DIR / "fx_rates.csv"))
AUDITOR = "auditor@example.org"
CHAT = 555_000_111


def submit(s, rec=None, key="t1", text="Sunrise Manpwer (Kathmandu)"):
    rep, _ = reports.submit(
        s,
        ReportInput(
            category="recruitment_fee",
            amount="56180",
            currency="NPR",
            paid_on=date(2025, 3, 1),
            destination_country="QA",
            origin_country="NP",
            recruiter_id=rec.id if rec else None,
            recruiter_text="" if rec else text,
            consent=True,
        ),
        reporter_key="w" * 64,
        submission_key=key,
        fx=FX,
    )
    return rep


@pytest.fixture
def rec(session):
    rec = factories.accredited(session, name="Sunrise Manpower Pvt. Ltd.")
    auditlog.set_actor(session, AUDITOR)
    return rec


def refused(s, code: str, fn, *args, **kw) -> DomainError:
    """`fn` is refused with `code` and changes nothing."""
    with pytest.raises(DomainError) as e, s.begin_nested():
        fn(*args, **kw)
    assert e.value.code == code, e.value
    return e.value


def entries(s, entity: str) -> list[dict]:
    rows = s.scalars(select(AuditLogEntry).where(AuditLogEntry.entity == entity).order_by(AuditLogEntry.seq))
    return [{**json.loads(e.data), "action": e.action, "logged_by": e.actor} for e in rows]


# --- linking -----------------------------------------------------------------------------------


def test_an_unmatched_report_is_linked_then_substantiated(session, rec):
    rep = submit(session)
    refused(
        session,
        "recruiter_not_linked",
        reports.triage,
        session,
        rep,
        status="substantiated",
        note="x",
        actor=AUDITOR,
    )
    refused(session, "reason_required", reports.link_recruiter, session, rep, rec, reason=" ", actor=AUDITOR)
    assert session.get(FeeReport, rep.id).recruiter_id is None
    reports.link_recruiter(session, rep, rec, reason="same licence number as the receipt", actor=AUDITOR)
    assert rep.recruiter_id == rec.id and rep.recruiter_text == "Sunrise Manpwer (Kathmandu)"  # kept as typed
    refused(
        session, "already_linked", reports.link_recruiter, session, rep, rec, reason="again", actor=AUDITOR
    )
    finding = reports.triage(session, rep, status="substantiated", note="receipt checked", actor=AUDITOR)
    assert (finding.severity, finding.principle, finding.recruiter_id) == ("major", "P1", rec.id)
    [linked, triaged] = reports.history(session, rep.id)
    assert (linked.kind, linked.before, linked.after, linked.reason, linked.actor) == (
        "linked",
        "",
        rec.public_id,
        "same licence number as the receipt",
        AUDITOR,
    )
    assert (triaged.kind, triaged.before, triaged.after, triaged.reason) == (
        "triaged",
        "new",
        "substantiated",
        "receipt checked",
    )
    # audit-logged: the report's change and the history entry, on the recruiter's log
    assert any(
        e["action"] == "update" and e.get("recruiter_id") == [None, rec.id]
        for e in entries(session, "fee_report")
    )
    logged = entries(session, "report_event")
    assert logged[0]["kind"] == "linked" and logged[0]["logged_by"] == AUDITOR
    assert logged[0]["reason"] == "same licence number as the receipt"
    by_recruiter = {e.entity for e in auditlog.entries_for_recruiter(session, rec.id)}
    assert {"report_event", "finding"} <= by_recruiter


def test_a_wrong_link_is_corrected_but_not_once_substantiated(session, rec):
    other = factories.accredited(session, name="Sunrise Overseas Pvt. Ltd.")
    rep = submit(session, other)
    reports.link_recruiter(session, rep, rec, reason="the worker picked a similar name", actor=AUDITOR)
    assert reports.history(session, rep.id)[0].before == other.public_id
    reports.triage(session, rep, status="substantiated", note="checked", actor=AUDITOR)
    refused(session, "link_locked", reports.link_recruiter, session, rep, other, reason="oops", actor=AUDITOR)
    assert session.get(FeeReport, rep.id).recruiter_id == rec.id


# --- triage and revisions ------------------------------------------------------------------------


def test_triage_needs_a_decision_and_a_note(session, rec):
    rep = submit(session, rec)
    for status in ("", "new", "maybe"):
        refused(
            session,
            "unknown_triage_status",
            reports.triage,
            session,
            rep,
            status=status,
            note="x",
            actor=AUDITOR,
        )
    refused(
        session, "note_required", reports.triage, session, rep, status="duplicate", note="", actor=AUDITOR
    )
    assert session.get(FeeReport, rep.id).triage_status == "new"
    reports.triage(session, rep, status="duplicate", note="same as FR-XXXX", actor=AUDITOR)
    refused(
        session,
        "already_triaged",
        reports.triage,
        session,
        rep,
        status="substantiated",
        note="x",
        actor=AUDITOR,
    )


def test_revisions_need_a_triaged_report_a_new_decision_and_a_reason(session, rec):
    rep = submit(session, rec)
    kw = {"actor": AUDITOR}
    refused(session, "not_triaged", reports.revise_triage, session, rep, status="duplicate", reason="x", **kw)
    reports.triage(session, rep, status="unsubstantiated", note="no receipt", actor=AUDITOR)
    refused(
        session, "reason_required", reports.revise_triage, session, rep, status="duplicate", reason="", **kw
    )
    refused(
        session,
        "triage_unchanged",
        reports.revise_triage,
        session,
        rep,
        status="unsubstantiated",
        reason="x",
        **kw,
    )
    refused(
        session, "unknown_triage_status", reports.revise_triage, session, rep, status="new", reason="x", **kw
    )
    reports.revise_triage(session, rep, status="duplicate", reason="same payment as FR-AAAA-BBBB", **kw)
    assert (rep.triage_status, rep.triage_note, rep.triaged_by) == (
        "duplicate",
        "same payment as FR-AAAA-BBBB",
        AUDITOR,
    )
    assert [(e.kind, e.before, e.after) for e in reports.history(session, rep.id)] == [
        ("triaged", "new", "unsubstantiated"),
        ("revised", "unsubstantiated", "duplicate"),
    ]


def test_revising_away_from_substantiated_withdraws_the_finding_and_back_reopens_it(session, rec):
    rep = submit(session, rec)
    finding = reports.triage(session, rep, status="substantiated", note="receipt checked", actor=AUDITOR)
    reports.revise_triage(
        session, rep, status="unsubstantiated", reason="the receipt was forged", actor=AUDITOR
    )
    session.refresh(finding)
    # never deleted: closed, saying why
    assert session.scalar(select(func.count()).select_from(Finding)) == 1
    assert finding.closed_at is not None and finding.closed_by == AUDITOR
    assert "the receipt was forged" in finding.closure_evidence and finding.closure_evidence.startswith(
        "Withdrawn"
    )
    assert audits.was_withdrawn(session, finding)
    # an overdue check does not act on it any more
    settings = type("S", (), {"major_finding_due_days": 90})()
    assert (
        checks.overdue_corrective_actions(session, finding.due_date + timedelta(days=1), settings).changes
        == []
    )
    # back to substantiated: the same finding, open again with a fresh due date
    again = reports.revise_triage(
        session, rep, status="substantiated", reason="bank statement found", actor=AUDITOR
    )
    assert (
        again.id == finding.id and again.closed_at is None and again.due_date == today() + timedelta(days=90)
    )
    kinds = [
        e.kind for e in session.scalars(select(FindingEvent).where(FindingEvent.finding_id == finding.id))
    ]
    assert kinds == ["withdrawn", "reopened"]


def test_a_finding_closed_with_evidence_keeps_its_closure_through_revisions(session, rec):
    rep = submit(session, rec)
    finding = reports.triage(session, rep, status="substantiated", note="checked", actor=AUDITOR)
    audits.close_finding(session, finding, evidence="worker repaid in full, bank slip", actor=AUDITOR)
    reports.revise_triage(session, rep, status="duplicate", reason="same as an earlier case", actor=AUDITOR)
    reports.revise_triage(
        session, rep, status="substantiated", reason="it was a different payment", actor=AUDITOR
    )
    session.refresh(finding)
    assert finding.closure_evidence == "worker repaid in full, bank slip" and finding.closed_at is not None
    assert session.scalars(select(FindingEvent)).all() == []


def test_revising_to_substantiated_makes_the_finding_when_there_was_none(session, rec):
    rep = submit(session, rec)
    assert reports.triage(session, rep, status="out_of_scope", note="visa fee", actor=AUDITOR) is None
    finding = reports.revise_triage(
        session, rep, status="substantiated", reason="a placement fee after all", actor=AUDITOR
    )
    assert finding.report_id == rep.id and finding.closed_at is None
    unlinked = submit(session, key="t2")
    reports.triage(session, unlinked, status="out_of_scope", note="x", actor=AUDITOR)
    refused(
        session,
        "recruiter_not_linked",
        reports.revise_triage,
        session,
        unlinked,
        status="substantiated",
        reason="x",
        actor=AUDITOR,
    )


# --- the worker is told ----------------------------------------------------------------------------


def bot_messages(s) -> list[OutboxMessage]:
    return list(
        s.scalars(select(OutboxMessage).where(OutboxMessage.channel == "bot").order_by(OutboxMessage.id))
    )


def test_a_decision_is_queued_for_the_chat_that_sent_the_report_only(session, rec):
    mine, theirs, quiet = (
        submit(session, rec, key="a"),
        submit(session, rec, key="b"),
        submit(session, rec, key="c"),
    )
    follow.subscribe_case(session, chat_id=CHAT, report=mine, language="ne")
    again = follow.subscribe_case(session, chat_id=CHAT, report=mine, language="ne")  # idempotent
    follow.subscribe_case(session, chat_id=CHAT + 1, report=theirs, language="bn")
    assert (
        session.scalar(select(func.count()).select_from(CaseSubscription)) == 2 and again.report_id == mine.id
    )
    reports.triage(session, mine, status="substantiated", note="checked", actor=AUDITOR)
    reports.triage(session, quiet, status="duplicate", note="checked", actor=AUDITOR)  # nobody subscribed
    [msg] = bot_messages(session)
    sub = session.scalars(select(CaseSubscription).where(CaseSubscription.report_id == mine.id)).one()
    assert (msg.event_type, msg.target_id) == (outbox.CASE_DECIDED, sub.id)
    assert msg.payload["data"] == {"case_code": mine.case_code, "status": "substantiated", "revised": False}
    reports.revise_triage(session, mine, status="unsubstantiated", reason="forged", actor=AUDITOR)
    assert bot_messages(session)[-1].payload["data"] == {
        "case_code": mine.case_code,
        "status": "unsubstantiated",
        "revised": True,
    }
    # the chat id is in the subscription only: not in the outbox, the report, its history or the log
    texts = [json.dumps(m.payload) for m in bot_messages(session)]
    texts += [e.data for e in session.scalars(select(AuditLogEntry))]
    texts += [str(r.model_dump()) for r in session.scalars(select(FeeReport))]
    texts += [str(r.model_dump()) for r in session.scalars(select(ReportEvent))]
    assert not [t for t in texts if str(CHAT) in t]
    assert "case_subscription" not in {e.entity for e in session.scalars(select(AuditLogEntry))}
    # no webhook message for a case, whatever the company subscribes to
    assert session.scalars(select(OutboxMessage).where(OutboxMessage.channel == "webhook")).all() == []


def test_language_changes_and_forget_reach_the_case_subscription(session, rec):
    rep = submit(session, rec)
    follow.subscribe_case(session, chat_id=CHAT, report=rep, language="en")
    follow.set_language(session, reporter_key="w" * 64, chat_id=CHAT, language="tl")
    assert session.scalars(select(CaseSubscription.language)).one() == "tl"
    reports.forget_chat(session, chat_id=CHAT, reporter_key="w" * 64)
    assert session.scalars(select(CaseSubscription)).all() == []
    reports.triage(session, rep, status="duplicate", note="checked", actor=AUDITOR)
    assert bot_messages(session) == []


def test_retention_erases_the_case_subscription_of_a_closed_report(session, rec, settings):
    settings.retention_days = 30
    old, recent, open_ = (
        submit(session, rec, key="o"),
        submit(session, rec, key="r"),
        submit(session, rec, key="n"),
    )
    for i, rep in enumerate((old, recent, open_)):
        follow.subscribe_case(session, chat_id=CHAT + i, report=rep, language="en")
    for rep in (old, recent):
        reports.triage(session, rep, status="duplicate", note="checked", actor=AUDITOR)
    old.triaged_at = utcnow() - timedelta(days=31)
    session.flush()
    checks.run(session, "retention", as_of=today(), settings=settings)
    left = set(session.scalars(select(CaseSubscription.report_id)))
    assert left == {recent.id, open_.id}
