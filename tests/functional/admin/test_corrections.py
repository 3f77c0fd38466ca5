"""No dead ends in the admin panel: link an unmatched report (search, pick, confirm), triage it with no
preselected decision, revise the decision, keep a ledger that adds up (and reverse a wrong entry),
cancel an audit, move a due date, reopen a corrective action; add a user with no preselected role.
Every refusal is a clear flash message, and every form answers with a redirect (Post/Redirect/Get),
so a reload creates nothing twice."""

from __future__ import annotations

import re
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlmodel import Session

from registry.models import (
    Audit,
    AuditLogEntry,
    FeeReport,
    Finding,
    OutboxMessage,
    RepaymentEntry,
    ReportEvent,
)
from registry.services import auditlog, audits, fees, follow, reports
from registry.services.fees import ReportInput
from registry.settings import CONFIG_DIR
from registry.timeutil import today
from tests import factories
from tests.functional.admin.conftest import flashes


def make_report(s, rec, *, key="c1", text="Sunrise Manpwer", amount="56180"):
    fx = fees.fx_table(str(CONFIG_DIR / "fx_rates.csv"))
    rep, _ = reports.submit(
        s,
        ReportInput(
            category="recruitment_fee",
            amount=amount,
            currency="NPR",
            paid_on=date(2025, 3, 1),
            destination_country="QA",
            origin_country="NP",
            recruiter_id=rec.id if rec else None,
            recruiter_text="" if rec else text,
            consent=True,
        ),
        reporter_key="a" * 64,
        submission_key=key,
        fx=fx,
    )
    return rep


def count(engine, model, *where) -> int:
    with Session(engine) as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def selected_options(html: str, name: str) -> list[str]:
    select_html = re.search(rf'<select[^>]*name="{name}".*?</select>', html, re.S).group(0)
    return re.findall(r'<option selected value="([^"]*)"|<option value="([^"]*)" selected', select_html)


def test_unmatched_report_is_linked_by_search_pick_and_confirm_then_substantiated(as_auditor, engine):
    with Session(engine, expire_on_commit=False) as s:
        auditlog.set_actor(s, "test")
        rec = factories.accredited(s, name="Sunrise Manpower Pvt. Ltd.", licence="1234/075/76")
        factories.accredited(s, name="Moonrise Traders Pvt. Ltd.")
        rep = make_report(s, None)
        follow.subscribe_case(s, chat_id=424242, report=rep, language="ne")
        s.commit()
    url = f"/admin/reports/{rep.id}"
    page = as_auditor.get(url).get_data(as_text=True)
    assert "Link to a registered recruiter" in page and "not matched to a registered recruiter" in page
    # the triage form preselects no decision
    assert selected_options(page, "status") in ([], [("", "")])
    resp = as_auditor.post(f"{url}/triage", {"status": "", "note": "checked"}, follow_redirects=True)
    assert "Decision: choose a decision" in flashes(resp)
    resp = as_auditor.post(f"{url}/triage", {"status": "substantiated", "note": "x"}, follow_redirects=True)
    assert "link the report to a registered recruiter" in flashes(resp)
    assert count(engine, Finding) == 0
    # search (by licence number) and pick
    found = as_auditor.get(f"{url}?q=1234/075/76").get_data(as_text=True)
    assert rec.public_id in found and f"pick={rec.public_id}" in found
    found = as_auditor.get(f"{url}?q=Sunrise+Manpower").get_data(as_text=True)
    assert rec.public_id in found
    confirm = as_auditor.get(f"{url}?q=Sunrise+Manpower&pick={rec.public_id}").get_data(as_text=True)
    assert f"Link to {rec.public_id}" in confirm and 'id="link-form"' in confirm
    # confirm: a reason is required
    resp = as_auditor.post(f"{url}/link", {"public_id": rec.public_id, "reason": ""}, follow_redirects=True)
    assert "a reason is required" in flashes(resp)
    resp = as_auditor.post(f"{url}/link", {"public_id": "RA-ZZZZZ", "reason": "x"}, follow_redirects=True)
    assert "RA-ZZZZZ" in flashes(resp) or "no recruiter" in flashes(resp).lower()
    assert count(engine, FeeReport, FeeReport.recruiter_id.is_not(None)) == 0
    resp = as_auditor.post(
        f"{url}/link", {"public_id": rec.public_id, "reason": "licence number on the receipt"}
    )
    assert resp.status_code == 302 and resp.headers["Location"].endswith(url)
    page = as_auditor.get(url).get_data(as_text=True)
    assert f"Case {rep.case_code} linked to {rec.public_id}" in flashes_of(page)
    assert f"linked to {rec.public_id}" in page and "licence number on the receipt" in page
    # reloading the result page changes nothing
    as_auditor.get(url)
    assert count(engine, ReportEvent) == 1
    # now it can be substantiated: a P1 finding, and the worker's message queued
    resp = as_auditor.post(f"{url}/triage", {"status": "substantiated", "note": "receipt checked"})
    assert resp.status_code == 302
    with Session(engine) as s:
        finding = s.scalars(select(Finding).where(Finding.report_id == rep.id)).one()
        assert (finding.recruiter_id, finding.principle, finding.severity) == (rec.id, "P1", "major")
        [msg] = s.scalars(select(OutboxMessage).where(OutboxMessage.channel == "bot")).all()
        assert msg.payload["data"]["case_code"] == rep.case_code and "424242" not in str(msg.payload)
        entities = {
            e.entity
            for e in s.scalars(select(AuditLogEntry).where(AuditLogEntry.actor == "auditor@example.org"))
        }
        assert {"fee_report", "report_event", "finding"} <= entities


def flashes_of(html: str) -> str:
    return " | ".join(
        re.sub(r"<[^>]+>", "", m) for m in re.findall(r'<div class="flash flash-\w+">(.*?)</div>', html, re.S)
    )


def test_revise_a_decision_with_a_reason_and_keep_the_history(as_auditor, engine):
    with Session(engine, expire_on_commit=False) as s:
        auditlog.set_actor(s, "test")
        rec = factories.accredited(s, name="Revisefield Manpower Pvt. Ltd.")
        rep = make_report(s, rec)
        s.commit()
    url = f"/admin/reports/{rep.id}"
    as_auditor.post(f"{url}/triage", {"status": "substantiated", "note": "receipt checked"})
    page = as_auditor.get(url).get_data(as_text=True)
    assert "Revise this decision" in page and selected_options(page, "status") in ([], [("", "")])
    resp = as_auditor.post(
        f"{url}/revise", {"status": "unsubstantiated", "reason": ""}, follow_redirects=True
    )
    assert "Reason for the revision: a reason is required" in flashes(resp)
    resp = as_auditor.post(f"{url}/revise", {"status": "substantiated", "reason": "x"}, follow_redirects=True)
    assert f"case {rep.case_code} is already substantiated" in flashes(resp)
    resp = as_auditor.post(
        f"{url}/revise",
        {"status": "unsubstantiated", "reason": "the receipt was forged"},
        follow_redirects=True,
    )
    assert "revised from substantiated to unsubstantiated" in flashes(resp)
    assert "P1 finding is withdrawn" in flashes(resp)
    page = resp.get_data(as_text=True)
    assert "triaged substantiated" in page and "revised from substantiated to unsubstantiated" in page
    assert "the receipt was forged" in page
    with Session(engine) as s:
        finding = s.scalars(select(Finding).where(Finding.report_id == rep.id)).one()
        assert finding.closed_at is not None and "the receipt was forged" in finding.closure_evidence
    audit_page = as_auditor.get(f"/admin/audits/{finding.audit_id}").get_data(as_text=True)
    assert "withdrawn" in audit_page


def test_the_ledger_adds_up_through_the_panel(as_auditor, engine):
    with Session(engine, expire_on_commit=False) as s:
        auditlog.set_actor(s, "test")
        rec = factories.accredited(s, name="Ledgerpanel Manpower Pvt. Ltd.")
        rep = make_report(s, rec)
        reports.triage(s, rep, status="substantiated", note="checked", actor="test")
        s.commit()
    url = f"/admin/reports/{rep.id}"
    on = today().isoformat()

    def entry(state, amount, currency="NPR"):
        data = {"state": state, "amount": amount, "currency": currency, "on_date": on, "note": ""}
        return as_auditor.post(f"{url}/repayments", data, follow_redirects=True)

    page = as_auditor.get(url).get_data(as_text=True)
    assert selected_options(page, "state") in ([], [("", "")])  # no preselected stage
    assert "choose the stage" in flashes(entry("", "100"))
    for _ in range(3):  # "repaid" three times with nothing claimed
        assert "more than the verified total" in flashes(entry("repaid", "1000"))
    assert "more than what the report says was paid (56180.00 NPR)" in flashes(entry("claimed", "99999999"))
    assert "kept in NPR" in flashes(entry("claimed", "100", currency="USD"))
    assert count(engine, RepaymentEntry) == 0
    assert "Ledger: claimed 56180.00 NPR" in flashes(entry("claimed", "56180"))
    assert "Ledger: verified 50000.00 NPR" in flashes(entry("verified", "50000"))
    resp = entry("repaid", "5000")
    assert "Ledger: repaid 5000.00 NPR" in flashes(resp)
    assert "more than the verified total" in flashes(entry("repaid", "45000.01"))
    with Session(engine) as s:
        wrong = s.scalars(select(RepaymentEntry).where(RepaymentEntry.state == "repaid")).one()
    rev_url = f"{url}/repayments/{wrong.id}/reverse"
    assert "a reason is required" in flashes(as_auditor.post(rev_url, {"reason": ""}, follow_redirects=True))
    resp = as_auditor.post(rev_url, {"reason": "transfer bounced"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("#ledger")
    page = as_auditor.get(url).get_data(as_text=True)
    assert f"entry #{wrong.id} (repaid 5000.00 NPR) reversed" in flashes_of(page)
    assert "reversed by #" in page and "transfer bounced" in page
    assert "already reversed" in flashes(as_auditor.post(rev_url, {"reason": "again"}, follow_redirects=True))
    assert count(engine, RepaymentEntry) == 4
    # totals: report page, ledger page, recruiter page; original currency and USD
    assert re.search(
        r"<th>NPR</th><td class=\"num\">56180.00</td><td class=\"num\">50000.00</td><td class=\"num\">0.00</td>",
        page,
    )
    assert "<th>USD</th>" in page
    ledger_page = as_auditor.get("/admin/repayments").get_data(as_text=True)
    assert rec.public_id in ledger_page and "56180.00 NPR" in ledger_page and "≈ USD" in ledger_page
    detail = as_auditor.get(f"/admin/recruiters/{rec.public_id}").get_data(as_text=True)
    assert "Repayments, all reports" in detail and "reversal of #" in detail


def test_cancel_an_audit_move_a_due_date_and_reopen_a_finding(as_auditor, engine):
    with Session(engine, expire_on_commit=False) as s:
        auditlog.set_actor(s, "test")
        rec = factories.accredited(s, name="Auditfix Manpower Pvt. Ltd.")
        plan = audits.plan(
            s, rec, kind="surveillance", planned_date=today() + timedelta(days=14), actor="test"
        )
        done = factories.performed_audit(s, rec, kind="special")
        finding = audits.add_finding(s, done, principle="P2", severity="major", description="passports kept")
        s.commit()
    url = f"/admin/audits/{plan.id}"
    assert "Cancel this audit" in as_auditor.get(url).get_data(as_text=True)
    resp = as_auditor.post(f"{url}/cancel", {"reason": ""}, follow_redirects=True)
    assert "Reason: a reason is required" in flashes(resp)
    resp = as_auditor.post(f"{url}/cancel", {"reason": "certification body withdrew"})
    assert resp.status_code == 302
    page = as_auditor.get(url).get_data(as_text=True)
    assert (
        "Surveillance audit #" in flashes_of(page)
        and "cancelled" in page
        and "certification body withdrew" in page
    )
    assert "Record the outcome" not in page and "Add a finding" not in page
    resp = as_auditor.post(f"{url}/cancel", {"reason": "again"}, follow_redirects=True)
    assert "already cancelled" in flashes(resp)
    assert "cancelled" in as_auditor.get("/admin/audits?state=cancelled").get_data(as_text=True)
    resp = as_auditor.post(f"/admin/audits/{done.id}/cancel", {"reason": "x"}, follow_redirects=True)
    assert "cannot be cancelled" in flashes(resp)

    f_url = f"/admin/findings/{finding.id}"
    new_due = today() + timedelta(days=200)
    resp = as_auditor.post(
        f"{f_url}/due-date", {"due_date": new_due.isoformat(), "reason": ""}, follow_redirects=True
    )
    assert "a reason is required" in flashes(resp)
    past = (today() - timedelta(days=3)).isoformat()
    resp = as_auditor.post(f"{f_url}/due-date", {"due_date": past, "reason": "x"}, follow_redirects=True)
    assert "cannot be in the past" in flashes(resp)
    resp = as_auditor.post(
        f"{f_url}/due-date",
        {"due_date": new_due.isoformat(), "reason": "extension agreed"},
        follow_redirects=True,
    )
    assert f"now due {new_due:%d %b %Y}" in flashes(resp)
    assert "extension agreed" in resp.get_data(as_text=True)
    resp = as_auditor.post(f"{f_url}/reopen", {"reason": "x"}, follow_redirects=True)
    assert "open already" in flashes(resp)
    as_auditor.post(f"{f_url}/close", {"evidence": "passports returned"})
    resp = as_auditor.post(
        f"{f_url}/reopen", {"reason": "passports taken again", "due_date": ""}, follow_redirects=True
    )
    assert "reopened; due" in flashes(resp)
    page = resp.get_data(as_text=True)
    assert "passports taken again" in page and "passports returned" in page
    with Session(engine) as s:
        f = s.get(Finding, finding.id)
        assert f.closed_at is None and f.due_date == new_due
        assert s.get(Audit, plan.id).cancel_reason == "certification body withdrew"


def test_add_a_user_has_no_preselected_role(as_admin, engine):
    page = as_admin.get("/admin/users").get_data(as_text=True)
    form = page[page.index("Add a user") :]
    assert selected_options(form, "role") in ([], [("", "")])
    resp = as_admin.post(
        "/admin/users", {"email": "new@example.org", "role": "", "password": "x" * 16}, follow_redirects=True
    )
    assert "Role: choose a role" in flashes(resp)
    resp = as_admin.post("/admin/users", {"email": "new@example.org", "role": "viewer", "password": "x" * 16})
    assert resp.status_code == 302
