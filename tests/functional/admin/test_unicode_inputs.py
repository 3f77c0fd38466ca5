"""Invisible controls through the admin panel: names are refused with a clear error and nothing is
stored; free text (notes, reasons, findings) is stored without them."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from registry.models import (
    AccreditationEvent,
    ApiKey,
    Audit,
    Company,
    FeeReport,
    Finding,
    Recruiter,
    RepaymentEntry,
    ReportEvent,
    User,
)
from registry.services import auditlog, fees, reports
from registry.services.fees import ReportInput
from registry.settings import CONFIG_DIR
from registry.timeutil import today
from tests import factories
from tests.functional.admin.conftest import flashes
from tests.functional.admin.test_workflow import RECRUITER, create, public_id_of

# A right-to-left override, NUL, a right-to-left mark.
CHARACTERS = ["\u202e", "\x00", "\u200f"]
IDS = ["U+202E", "U+0000", "U+200F"]


def count(engine, model) -> int:
    with Session(engine) as s:
        return s.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize("ch", CHARACTERS, ids=IDS)
def test_a_recruiter_name_with_a_control_is_refused_on_create_and_edit(as_auditor, engine, ch):
    code = f"U+{ord(ch):04X}"
    for field, value in (
        ("legal_name", f"Himalfield{ch} Overseas"),
        ("other_names", f"Himal Field\nHimal{ch}field"),
        ("licence_number", f"1234{ch}/075/76"),
        ("licence_authority", f"Do{ch}FE"),
    ):
        resp = create(as_auditor, **{field: value})
        html = resp.get_data(as_text=True)
        assert resp.status_code == 422, field
        assert f"contains the invisible control character {code}, which is not allowed" in html, field
    assert count(engine, Recruiter) == 0
    pid = public_id_of(create(as_auditor))
    resp = as_auditor.post(
        f"/admin/recruiters/{pid}/edit", {**RECRUITER, "legal_name": f"{ch}Himalfield Overseas"}
    )
    assert resp.status_code == 422 and code in resp.get_data(as_text=True)
    with Session(engine) as s:
        assert s.scalars(select(Recruiter.legal_name)).one() == RECRUITER["legal_name"]


def test_a_recruiter_address_keeps_its_lines_and_loses_the_controls(as_auditor, engine):
    resp = create(as_auditor, address="12 Ring Road\u202e\r\nKathmandu\x00\u200f")
    assert resp.status_code == 302
    with Session(engine) as s:
        assert s.scalars(select(Recruiter.address)).one() == "12 Ring Road\nKathmandu"


@pytest.mark.parametrize("ch", CHARACTERS, ids=IDS)
def test_company_key_and_user_names_with_a_control_are_refused(as_admin, engine, ch):
    code = f"U+{ord(ch):04X}"
    resp = as_admin.post("/admin/companies", {"name": f"Example{ch} Garments"}, follow_redirects=True)
    assert f"the name contains the invisible control character {code}" in flashes(resp)
    assert count(engine, Company) == 0
    resp = as_admin.post("/admin/companies", {"name": "Example Garments"})
    company_url = resp.headers["Location"]
    resp = as_admin.post(
        f"{company_url}/keys", {"name": f"supplier{ch} sync", "scopes": ["read"]}, follow_redirects=True
    )
    assert code in flashes(resp) and count(engine, ApiKey) == 0
    users = count(engine, User)
    resp = as_admin.post(
        "/admin/users",
        {"email": f"new{ch}user@example.org", "role": "viewer", "password": "a long enough passphrase"},
        follow_redirects=True,
    )
    assert count(engine, User) == users


@pytest.mark.parametrize("ch", CHARACTERS, ids=IDS)
def test_auditor_names_are_refused_and_audit_notes_lose_the_controls(as_auditor, engine, ch):
    pid = public_id_of(create(as_auditor))
    detail = f"/admin/recruiters/{pid}"
    audit = {
        "kind": "initial",
        "certification_body": "Example Certification",
        "lead_auditor": "R. Sharma",
        "planned_date": (today() - timedelta(days=3)).isoformat(),
    }
    for field in ("certification_body", "lead_auditor"):
        resp = as_auditor.post(
            f"{detail}/audits", {**audit, field: f"{ch}{audit[field]}"}, follow_redirects=True
        )
        assert f"U+{ord(ch):04X}" in flashes(resp), field
    assert count(engine, Audit) == 0
    resp = as_auditor.post(f"{detail}/audits", audit)
    audit_id = int(resp.headers["Location"].rsplit("/", 1)[1])
    as_auditor.post(
        f"/admin/audits/{audit_id}/outcome",
        {"performed_date": today().isoformat(), "outcome": "nonconforming", "summary": f"fees{ch} found"},
    )
    as_auditor.post(
        f"/admin/audits/{audit_id}/findings",
        {
            "principle": "P1",
            "severity": "minor",
            "description": f"Workers{ch} paid a fee",
            "corrective_action": f"Repay{ch} them\nwithin a month",
        },
    )
    with Session(engine) as s:
        finding = s.scalars(select(Finding)).one()
        assert s.get(Audit, audit_id).summary == "fees found"
        assert (finding.description, finding.corrective_action) == (
            "Workers paid a fee",
            "Repay them\nwithin a month",
        )
    as_auditor.post(f"/admin/findings/{finding.id}/close", {"evidence": f"{ch}Bank{ch} transfers seen"})
    # A reason that is nothing but controls is no reason.
    resp = as_auditor.post(f"{detail}/decide/reject", {"reason": f"{ch}\u202c"}, follow_redirects=True)
    assert "reason is required" in flashes(resp)
    as_auditor.post(f"{detail}/decide/reject", {"reason": f"{ch}Rejected\u202d after review"})
    with Session(engine) as s:
        assert s.get(Finding, finding.id).closure_evidence == "Bank transfers seen"
        reasons = s.scalars(select(AccreditationEvent.reason).order_by(AccreditationEvent.id)).all()
        assert reasons[-1] == "Rejected after review"


@pytest.mark.parametrize("ch", CHARACTERS, ids=IDS)
def test_triage_notes_reasons_and_ledger_notes_lose_the_controls(as_auditor, engine, ch):
    with Session(engine, expire_on_commit=False) as s:
        auditlog.set_actor(s, "test")
        rec = factories.accredited(s, name="Feefield Manpower Pvt. Ltd.")
        report, _ = reports.submit(
            s,
            ReportInput(
                category="recruitment_fee",
                amount="150000",
                currency="NPR",
                paid_on=date(2025, 3, 1),
                destination_country="QA",
                recruiter_id=rec.id,
                consent=True,
            ),
            reporter_key="a" * 64,
            submission_key="r1",
            fx=fees.fx_table(str(CONFIG_DIR / "fx_rates.csv")),
        )
        s.commit()
    url = f"/admin/reports/{report.id}"
    as_auditor.post(f"{url}/triage", {"status": "substantiated", "note": f"Receipt{ch} matches"})
    as_auditor.post(
        f"{url}/repayments",
        {
            "state": "claimed",
            "amount": "150000",
            "currency": "NPR",
            "on_date": today().isoformat(),
            "note": f"{ch}claimed{ch}",
        },
    )
    as_auditor.post(f"{url}/revise", {"status": "unsubstantiated", "reason": f"Second{ch} look"})
    with Session(engine) as s:
        stored = s.get(FeeReport, report.id)
        assert (stored.triage_status, stored.triage_note) == ("unsubstantiated", "Second look")
        assert s.scalars(select(RepaymentEntry.note)).one() == "claimed"
        events = s.scalars(select(ReportEvent.reason).order_by(ReportEvent.id)).all()
        assert events == ["Receipt matches", "Second look"]


@pytest.mark.parametrize("ch", CHARACTERS, ids=IDS)
def test_list_filters_with_a_control_find_nothing_and_never_fail(as_admin, ch):
    quoted = {"\u202e": "%E2%80%AE", "\x00": "%00", "\u200f": "%E2%80%8F"}[ch]
    for path in (
        "/admin/recruiters?q=Himal{}",
        "/admin/reports?q=Himal{}",
        "/admin/reports?recruiter=Himal{}",
        "/admin/audit-log?actor=admin{}",
        "/admin/findings?q=a{}",
        "/admin/companies?q=a{}",
        "/admin/recruiters/RA-{}",
        "/verify?q=Himal{}",
        "/verify/RA-{}",
    ):
        resp = as_admin.get(path.format(quoted))
        assert resp.status_code in (200, 404), path
