"""The accreditation cycle through the admin views (forms, services, one commit per action)."""

from __future__ import annotations

import re
from datetime import date, timedelta

from sqlalchemy import select
from sqlmodel import Session

from registry.models import (
    Accreditation,
    AccreditationEvent,
    ApiKey,
    AuditLogEntry,
    Finding,
    OutboxMessage,
    Recruiter,
)
from registry.services import auditlog, auditlog_verify, companies, delivery, fees, reports
from registry.services.fees import ReportInput
from registry.settings import CONFIG_DIR, Settings
from registry.timeutil import today
from tests import factories
from tests.functional.admin.conftest import flashes

RECRUITER = {
    "legal_name": "Himalfield Overseas Placement Pvt. Ltd.",
    "other_names": "Himal Field Overseas\nहिमालफिल्ड",
    "country": "NP",
    "licence_authority": "DoFE",
    "licence_number": "1234/075/76",
    "corridors": "NP-QA\nNP-MY",
    "sectors": "construction, hospitality",
    "contact_email": "info@himalfield.example.org",
    "website": "https://himalfield.example.org",
}


def create(web, **overrides):
    return web.post("/admin/recruiters/new", {**RECRUITER, **overrides})


def public_id_of(resp) -> str:
    return re.search(r"/admin/recruiters/(RA-[0-9A-Z]{5})", resp.headers["Location"]).group(1)


def test_create_validates_input(as_auditor):
    resp = create(as_auditor, country="XX")
    assert resp.status_code == 422
    assert "Not a valid choice" in resp.get_data(as_text=True)
    resp = create(as_auditor, licence_number="")
    assert resp.status_code == 422 and "the licence number is required" in resp.get_data(as_text=True)
    resp = create(as_auditor, corridors="NP-ZZ")
    assert resp.status_code == 422 and "ISO 3166-1" in resp.get_data(as_text=True)
    resp = create(as_auditor, corridors="Nepal to Qatar")
    assert resp.status_code == 422 and "ORIGIN-DESTINATION" in resp.get_data(as_text=True)
    # A refusal from the service comes back with the form as it was typed.
    resp = create(as_auditor, parent_public_id="RA-ZZZZZ")
    assert resp.status_code == 422 and "no recruiter with public id" in flashes(resp)
    assert 'value="Himalfield Overseas Placement Pvt. Ltd."' in resp.get_data(as_text=True)


def test_create_edit_and_duplicates(as_auditor, engine):
    resp = create(as_auditor)
    assert resp.status_code == 302
    pid = public_id_of(resp)
    page = as_auditor.get(f"/admin/recruiters/{pid}")
    html = page.get_data(as_text=True)
    assert "registered as applicant" in flashes(page)
    assert "NP→QA" in html and "Himal Field Overseas" in html and "Applicant" in html
    # The same organisation again: warned, not created, until confirmed.
    resp = create(as_auditor, legal_name="Himalfield Overseas Placement Private Limited")
    assert resp.status_code == 422
    assert "Possible duplicates" in resp.get_data(as_text=True) and pid in resp.get_data(as_text=True)
    with Session(engine, expire_on_commit=False) as s:
        assert len(s.scalars(select(Recruiter)).all()) == 1
    resp = create(
        as_auditor, legal_name="Himalfield Overseas Placement Private Limited", confirm_duplicate="y"
    )
    assert resp.status_code == 302
    # Edit keeps the public id and validates like create.
    resp = as_auditor.get(f"/admin/recruiters/{pid}/edit")
    assert 'value="1234/075/76"' in resp.get_data(as_text=True)
    resp = as_auditor.post(
        f"/admin/recruiters/{pid}/edit",
        {
            **RECRUITER,
            "legal_name": "Himalfield Overseas Pvt. Ltd.",
            "corridors": "NP-AE",
            "confirm_duplicate": "y",
        },
    )
    assert resp.status_code == 302
    with Session(engine, expire_on_commit=False) as s:
        rec = s.scalars(select(Recruiter).where(Recruiter.public_id == pid)).one()
        assert rec.legal_name == "Himalfield Overseas Pvt. Ltd."
        assert (rec.official_address, rec.official_phone) == ("", "")
    # The address and phone the licensing authority lists: edited here, shown on the public card.
    resp = as_auditor.post(
        f"/admin/recruiters/{pid}/edit",
        {
            **RECRUITER,
            "legal_name": "Himalfield Overseas Pvt. Ltd.",
            "official_address": "Gongabu 4, Kathmandu",
            "official_phone": "+977 1 4000000",
            "confirm_duplicate": "y",
        },
    )
    assert resp.status_code == 302
    assert "Gongabu 4, Kathmandu" in as_auditor.get(f"/admin/recruiters/{pid}/edit").get_data(as_text=True)
    assert "+977 1 4000000" in as_auditor.get(f"/admin/recruiters/{pid}").get_data(as_text=True)
    card = as_auditor.get(f"/verify/{pid}").get_data(as_text=True)
    assert "Gongabu 4, Kathmandu" in card and "+977 1 4000000" in card


def test_accreditation_cycle(as_auditor, engine, settings):
    pid = public_id_of(create(as_auditor))
    detail = f"/admin/recruiters/{pid}"
    # Accrediting without an audit is refused with the state machine's message.
    resp = as_auditor.post(f"{detail}/decide/accredit", {"reason": "looks fine"}, follow_redirects=True)
    assert "without a performed audit" in flashes(resp)
    # Plan an audit.
    resp = as_auditor.post(
        f"{detail}/audits",
        {
            "kind": "initial",
            "certification_body": "Example Certification",
            "lead_auditor": "R. Sharma",
            "planned_date": (today() - timedelta(days=3)).isoformat(),
        },
    )
    assert resp.status_code == 302
    audit_url = resp.headers["Location"]
    audit_id = int(audit_url.rsplit("/", 1)[1])
    assert "Initial audit of" in flashes(as_auditor.get(audit_url))
    # Outcome in the future is refused; today is accepted.
    resp = as_auditor.post(
        f"/admin/audits/{audit_id}/outcome",
        {"performed_date": (today() + timedelta(days=2)).isoformat(), "outcome": "nonconforming"},
        follow_redirects=True,
    )
    assert "cannot be in the future" in flashes(resp)
    resp = as_auditor.post(
        f"/admin/audits/{audit_id}/outcome",
        {"performed_date": today().isoformat(), "outcome": "nonconforming", "summary": "fees found"},
        follow_redirects=True,
    )
    assert "Outcome recorded: nonconforming" in flashes(resp)
    # A major finding; the due date defaults from the configuration.
    settings.major_finding_due_days = 45
    resp = as_auditor.post(
        f"/admin/audits/{audit_id}/findings",
        {
            "principle": "P1",
            "severity": "major",
            "description": "Workers paid a service fee",
            "corrective_action": "Repay the workers",
        },
        follow_redirects=True,
    )
    due = today() + timedelta(days=settings.major_finding_due_days)
    assert f"corrective action due {due:%d %b %Y}" in flashes(resp)
    with Session(engine, expire_on_commit=False) as s:
        finding = s.scalars(select(Finding)).one()
    # Accreditation refused while the major finding is open.
    resp = as_auditor.post(f"{detail}/decide/accredit", {"reason": "audit done"}, follow_redirects=True)
    assert "major finding(s) still open" in flashes(resp)
    # A decision needs a reason.
    resp = as_auditor.post(f"{detail}/decide/reject", {"reason": ""}, follow_redirects=True)
    assert "a reason is required" in flashes(resp)
    # Close the corrective action: evidence required.
    resp = as_auditor.post(f"/admin/findings/{finding.id}/close", {"evidence": ""}, follow_redirects=True)
    assert "evidence note is required" in flashes(resp)
    resp = as_auditor.post(
        f"/admin/findings/{finding.id}/close",
        {"evidence": "Bank receipts of repayments"},
        follow_redirects=True,
    )
    assert "closed" in flashes(resp)
    # Only the decisions the state machine allows are offered.
    html = as_auditor.get(detail).get_data(as_text=True)
    assert f"{detail}/decide/accredit" in html and f"{detail}/decide/reject" in html
    assert f"{detail}/decide/suspend" not in html
    resp = as_auditor.post(
        f"{detail}/decide/accredit", {"reason": "Corrective actions verified"}, follow_redirects=True
    )
    assert f"{pid} is now accredited" in flashes(resp)
    html = resp.get_data(as_text=True)
    assert f"{detail}/decide/suspend" in html and f"{detail}/decide/withdraw" in html
    assert f"{detail}/decide/accredit" not in html and f"{detail}/decide/reject" not in html
    assert 'data-confirm="Suspend' in html
    # An illegal decision posted by hand is refused and changes nothing.
    resp = as_auditor.post(f"{detail}/decide/reject", {"reason": "by hand"}, follow_redirects=True)
    assert "cannot reject" in flashes(resp)
    resp = as_auditor.post(
        f"{detail}/decide/suspend", {"reason": "Licence suspended by DoFE"}, follow_redirects=True
    )
    assert f"{pid} is now suspended" in flashes(resp)
    with Session(engine, expire_on_commit=False) as s:
        rec = s.scalars(select(Recruiter).where(Recruiter.public_id == pid)).one()
        assert s.get(Accreditation, rec.id).status == "suspended"
        events = s.scalars(
            select(AccreditationEvent)
            .where(AccreditationEvent.recruiter_id == rec.id)
            .order_by(AccreditationEvent.id)
        ).all()
        assert [e.to_status for e in events] == ["applicant", "accredited", "suspended"]
        assert events[-1].actor == "auditor@example.org" and events[-1].reason == "Licence suspended by DoFE"
        # Every change is attributed in the audit log.
        actors = set(s.scalars(select(AuditLogEntry.actor).where(AuditLogEntry.recruiter_id == rec.id)))
        assert actors == {"auditor@example.org"}
        assert auditlog_verify.verify(s).ok
    # History timeline and audit-log entries on the detail page.
    html = as_auditor.get(detail).get_data(as_text=True)
    assert "Licence suspended by DoFE" in html and "Corrective actions verified" in html
    assert 'id="log"' in html and "accreditation" in html


def test_certificate(as_viewer, engine, settings):
    with Session(engine, expire_on_commit=False) as s:
        auditlog.set_actor(s, "test")
        rec = factories.accredited(s, name="Certfield Placement Pvt. Ltd.")
        applicant = factories.recruiter(s)
        s.commit()
        acc = s.get(Accreditation, rec.id)
    resp = as_viewer.get(f"/admin/recruiters/{rec.public_id}/certificate")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "Certfield Placement Pvt. Ltd." in html and acc.certificate_number in html
    assert f"{settings.public_base_url}/verify/{rec.public_id}" in html
    assert "<svg" in html and acc.valid_until.strftime("%d %B %Y") in html
    pdf = as_viewer.get(f"/admin/recruiters/{rec.public_id}/certificate.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    resp = as_viewer.get(f"/admin/recruiters/{applicant.public_id}/certificate", follow_redirects=True)
    assert "only an accredited recruiter has a certificate" in flashes(resp)
    # Validity over but the expiry check has not run yet: no certificate, and the page says why.
    with Session(engine, expire_on_commit=False) as s:
        s.get(Accreditation, rec.id).valid_until = today() - timedelta(days=1)
        s.commit()
    resp = as_viewer.get(f"/admin/recruiters/{rec.public_id}/certificate.pdf", follow_redirects=True)
    assert "no certificate is issued for an expired accreditation" in flashes(resp)
    assert "validity ended" in resp.get_data(as_text=True)


def test_certificate_qr_encodes_the_bot_deep_link(engine):
    from registry.services import certificates

    assert (
        certificates.deep_link("@FairRecruitBot", "RA-7K3Q9")
        == "https://t.me/FairRecruitBot?start=v_RA-7K3Q9"
    )
    import segno

    qr = segno.make("https://t.me/FairRecruitBot?start=v_RA-7K3Q9", error="m")
    assert certificates.qr_svg("https://t.me/FairRecruitBot?start=v_RA-7K3Q9") == qr.svg_inline(
        scale=5, border=2, dark="#0f172a"
    )


def _report(s, rec, key="r1", category="recruitment_fee", amount="150000", currency="NPR"):
    fx = fees.fx_table(str(CONFIG_DIR / "fx_rates.csv"))
    report, _ = reports.submit(
        s,
        ReportInput(
            category=category,
            amount=amount,
            currency=currency,
            paid_on=date(2025, 3, 1),
            destination_country="QA",
            origin_country="NP",
            recruiter_id=rec.id if rec else None,
            recruiter_text="" if rec else "Unknown Agency",
            consent=True,
        ),
        reporter_key="a" * 64,
        submission_key=key,
        fx=fx,
    )
    return report


def test_fee_report_triage_and_ledger(as_auditor, engine):
    with Session(engine, expire_on_commit=False) as s:
        auditlog.set_actor(s, "test")
        rec = factories.accredited(s, name="Feefield Manpower Pvt. Ltd.")
        report = _report(s, rec)
        other = _report(s, None, key="r2")
        s.commit()
    queue = as_auditor.get("/admin/reports").get_data(as_text=True)
    assert report.case_code in queue and other.case_code in queue
    filtered = as_auditor.get(f"/admin/reports?recruiter={rec.public_id}").get_data(as_text=True)
    assert report.case_code in filtered and other.case_code not in filtered
    filtered = as_auditor.get("/admin/reports?category=medical").get_data(as_text=True)
    assert report.case_code not in filtered
    resp = as_auditor.post(
        f"/admin/reports/{report.id}/triage", {"status": "substantiated", "note": ""}, follow_redirects=True
    )
    assert "a triage note is required" in flashes(resp)
    resp = as_auditor.post(
        f"/admin/reports/{report.id}/triage",
        {"status": "substantiated", "note": "Receipt matches the bank statement"},
        follow_redirects=True,
    )
    assert "marked substantiated" in flashes(resp) and "major P1 finding" in flashes(resp)
    with Session(engine, expire_on_commit=False) as s:
        finding = s.scalars(select(Finding).where(Finding.report_id == report.id)).one()
        assert (finding.severity, finding.principle) == ("major", "P1")
    resp = as_auditor.post(
        f"/admin/reports/{report.id}/triage", {"status": "duplicate", "note": "again"}, follow_redirects=True
    )
    assert "already triaged" in flashes(resp)
    # An unmatched report cannot be substantiated.
    resp = as_auditor.post(
        f"/admin/reports/{other.id}/triage", {"status": "substantiated", "note": "x"}, follow_redirects=True
    )
    assert "link the report to a registered recruiter" in flashes(resp)
    # Repayment ledger.
    for state, amount in (("claimed", "150000"), ("verified", "150000"), ("repaid", "100000")):
        resp = as_auditor.post(
            f"/admin/reports/{report.id}/repayments",
            {
                "state": state,
                "amount": amount,
                "currency": "NPR",
                "on_date": today().isoformat(),
                "note": state,
            },
            follow_redirects=True,
        )
        assert f"Ledger: {state}" in flashes(resp)
    resp = as_auditor.post(
        f"/admin/reports/{report.id}/repayments",
        {"state": "repaid", "amount": "5", "currency": "XXY", "on_date": today().isoformat()},
        follow_redirects=True,
    )
    assert "ISO 4217" in flashes(resp)
    ledger = as_auditor.get("/admin/repayments").get_data(as_text=True)
    assert rec.public_id in ledger and "100000.00 NPR" in ledger
    detail = as_auditor.get(f"/admin/recruiters/{rec.public_id}").get_data(as_text=True)
    assert report.case_code in detail and "repaid 100000.00 NPR" in detail


def test_companies_keys_suppliers_webhooks(as_admin, engine):
    with Session(engine, expire_on_commit=False) as s:
        auditlog.set_actor(s, "test")
        rec = factories.accredited(s, name="Supplyfield Recruiting Pvt. Ltd.")
        s.commit()
    resp = as_admin.post("/admin/companies", {"name": "Example Garments Ltd"})
    assert resp.status_code == 302
    company_url = resp.headers["Location"]
    company_id = int(company_url.rsplit("/", 1)[1])
    resp = as_admin.post(
        f"/admin/companies/{company_id}/keys", {"name": "supplier sync", "scopes": ["read", "suppliers"]}
    )
    # Post/Redirect/Get: the key is shown by the page the form redirects to, once.
    assert resp.status_code == 302 and resp.headers["Location"].endswith(
        f"/admin/companies/{company_id}#new-key"
    )
    cookies = " ".join(resp.headers.getlist("Set-Cookie"))
    html = as_admin.get(company_url).get_data(as_text=True)
    plaintext = re.search(r'id="new-key-value">([^<]+)<', html).group(1)
    assert plaintext.startswith("fr_live_")
    with Session(engine, expire_on_commit=False) as s:
        assert companies.authenticate(s, plaintext) is not None
        key = s.scalars(select(ApiKey)).one()
        assert key.scopes == ["read", "suppliers"]
    # Shown once: a reload says so and shows no key; the key never travels in a cookie.
    again = as_admin.get(company_url).get_data(as_text=True)
    assert plaintext not in again and f"fr_live_{key.prefix}_" in again and "never" in again
    assert "already shown" in again
    assert "already shown" not in as_admin.get(company_url).get_data(as_text=True)
    assert plaintext[len(f"fr_live_{key.prefix}_") :] not in cookies  # the secret part (it may hold "_")
    with Session(engine, expire_on_commit=False) as s:
        assert len(s.scalars(select(ApiKey)).all()) == 1  # the reloads created nothing
    # Suppliers and webhooks.
    resp = as_admin.post(
        f"/admin/companies/{company_id}/suppliers", {"public_id": rec.public_id}, follow_redirects=True
    )
    assert "added to the supplier list" in flashes(resp)
    resp = as_admin.post(
        f"/admin/companies/{company_id}/suppliers", {"public_id": "RA-ZZZZZ"}, follow_redirects=True
    )
    assert "no recruiter with public id" in flashes(resp)
    resp = as_admin.post(
        f"/admin/companies/{company_id}/webhooks",
        {"url": "https://hooks.example.org/fr", "events": ["recruiter.status_changed"]},
    )
    assert resp.status_code == 302 and "whsec_" not in resp.get_data(as_text=True)
    assert "whsec_" in as_admin.get(company_url).get_data(as_text=True)
    assert "whsec_" not in as_admin.get(company_url).get_data(as_text=True)
    with Session(engine, expire_on_commit=False) as s:
        hook_id = companies.list_webhooks(s, company_id)[0].id
    resp = as_admin.post(f"/admin/companies/{company_id}/webhooks/{hook_id}/test", follow_redirects=True)
    assert "Test event queued" in flashes(resp)
    html = resp.get_data(as_text=True)
    assert "https://hooks.example.org/fr" in html and "pending" in html
    assert "https://hooks.example.org/fr" in as_admin.get("/admin/deliveries").get_data(as_text=True)
    # A failed attempt keeps a reason code; both delivery logs show it in words.
    with Session(engine) as s:
        (message,) = s.scalars(select(OutboxMessage)).all()
        failed = delivery.Outcome(False, delivery.Reason.http_error, status_code=502)
        delivery.record(s, message.id, failed, Settings(env="test"))
        s.commit()
    for page in (company_url, "/admin/deliveries"):
        html = as_admin.get(page).get_data(as_text=True)
        assert "receiver answered HTTP 502" in html and 'title="http_error:502"' in html
    # Revoke: the key stops working.
    resp = as_admin.post(f"/admin/companies/{company_id}/keys/{key.id}/revoke", follow_redirects=True)
    assert "revoked" in flashes(resp)
    with Session(engine, expire_on_commit=False) as s:
        assert companies.authenticate(s, plaintext) is None


def test_dashboard_figures(as_viewer, engine):
    with Session(engine, expire_on_commit=False) as s:
        auditlog.set_actor(s, "test")
        a = factories.accredited(s)
        factories.accredited(s)
        b = factories.recruiter(s)
        from registry.services import accreditation, alerts, audits

        accreditation.decide(s, a, "suspend", actor="test", reason="x")
        audit = audits.plan(s, b, kind="initial", planned_date=today() + timedelta(days=10), actor="test")
        audits.add_finding(
            s,
            audit,
            principle="P2",
            severity="major",
            description="late",
            due_date=today() - timedelta(days=1),
        )
        alerts.raise_alert(s, key="dash-1", kind="licence_invalid", recruiter_id=b.id)
        _report(s, b, key="d1")
        s.commit()
        from registry.services import dashboard

        d = dashboard.build(s)
    assert (
        d.status_counts["accredited"] == 1
        and d.status_counts["suspended"] == 1
        and d.status_counts["applicant"] == 1
    )
    assert (d.open_alerts, d.overdue_actions, d.overdue_major, d.audits_due_30, d.reports_new) == (
        1,
        1,
        1,
        1,
        1,
    )
    month = today().strftime("%Y-%m")
    assert d.reports_by_month[month] == {"recruitment_fee": 1}
    assert d.status_by_month[month]["suspended"] == 1 and d.status_by_month[month]["accredited"] == 1
    assert d.usd_by_corridor[0][0] == "NP→QA" and d.usd_by_corridor[0][1] > 0
    html = as_viewer.get("/admin/").get_data(as_text=True)
    assert html.count("<svg") >= 3 and "Overdue corrective actions" in html and "cdn" not in html.lower()
    assert "deposit or bond" not in html
    # The charts are cached until something changes: a new report shows at once.
    with Session(engine, expire_on_commit=False) as s:
        _report(s, b, key="d2", category="deposit_or_bond")
        s.commit()
    html = as_viewer.get("/admin/").get_data(as_text=True)
    assert "deposit or bond" in html


def test_recruiter_list_search_filter_sort_page(as_viewer, engine):
    with Session(engine, expire_on_commit=False) as s:
        auditlog.set_actor(s, "test")
        for i in range(55):
            factories.recruiter(s, name=f"Pagefield Placement {i:02d} Pvt. Ltd.")
        target = factories.accredited(s, name="Gorkha Manpower Services Pvt. Ltd.", licence="GK-777")
        s.commit()
    page1 = as_viewer.get("/admin/recruiters").get_data(as_text=True)
    assert "1–50 of 56" in page1 and 'rel="next"' in page1
    page2 = as_viewer.get("/admin/recruiters?page=2").get_data(as_text=True)
    assert "51–56 of 56" in page2
    # Same matching as the public page: transliteration-tolerant names and licence numbers.
    for q in ("Gurkha Manpower", "GK-777", target.public_id):
        html = as_viewer.get(f"/admin/recruiters?q={q}").get_data(as_text=True)
        assert target.public_id in html, q
    html = as_viewer.get("/admin/recruiters?status=accredited").get_data(as_text=True)
    assert target.public_id in html and "1–1 of 1" in html
    html = as_viewer.get("/admin/recruiters?sort=name").get_data(as_text=True)
    assert html.index("Gorkha Manpower") < html.index("Pagefield Placement 00")
    html = as_viewer.get("/admin/recruiters?q=zzzzqqqq").get_data(as_text=True)
    assert "No recruiter matches" in html


def test_audit_log_viewer(as_viewer, engine):
    with Session(engine, expire_on_commit=False) as s:
        rec = factories.accredited(s, actor="someone@example.org")
        s.commit()
    html = as_viewer.get(f"/admin/audit-log?recruiter={rec.public_id}&verify=1").get_data(as_text=True)
    assert "Chain intact" in html and "someone@example.org" in html
    html = as_viewer.get("/admin/audit-log?actor=nobody").get_data(as_text=True)
    assert "No entries match" in html
    html = as_viewer.get("/admin/audit-log?entity=accreditation_event&action=create").get_data(as_text=True)
    assert "1–2 of 2" in html


def test_audit_log_viewer_names_a_tampered_entry(as_viewer, engine):
    from sqlalchemy import text

    from registry.services.auditlog import protect_sql, unprotect_sql

    with Session(engine, expire_on_commit=False) as s:
        factories.accredited(s, actor="someone@example.org")
        s.commit()
        dialect = engine.dialect.name
        for stmt in unprotect_sql(dialect):  # an attacker with database-owner rights
            s.execute(text(stmt))
        s.execute(text("UPDATE audit_log SET actor = 'mallory' WHERE seq = 3"))
        for stmt in protect_sql(dialect):
            s.execute(text(stmt))
        s.commit()
    html = as_viewer.get("/admin/audit-log?verify=1").get_data(as_text=True)
    assert "Chain BROKEN" in html and "seq=3" in html and "altered" in html


def test_recruiter_list_keyset_pages_cover_every_row_once(as_viewer, engine):
    import html as htmllib

    with Session(engine, expire_on_commit=False) as s:
        for i in range(120):
            factories.recruiter(s, name=f"Keyfield {'Same Name' if i % 3 else f'Agency {i:03d}'} Pvt. Ltd.")
        s.commit()
    for sort in ("name", "newest", "oldest", "public_id"):
        seen, url, pages = [], f"/admin/recruiters?sort={sort}", []
        while url:
            html = as_viewer.get(url).get_data(as_text=True)
            pages.append(url)
            seen += re.findall(r'<td><a class="mono" href="/admin/recruiters/(RA-[0-9A-Z]{5})"', html)
            nxt = re.search(r'href="([^"]+)" rel="next"', html)
            url = htmllib.unescape(nxt.group(1)) if nxt else None
        assert len(seen) == 120 and len(set(seen)) == 120, sort
        assert len(pages) == 3 and "after=" in pages[-1]
        # Previous from the last page gives the middle page again.
        html = as_viewer.get(pages[-1]).get_data(as_text=True)
        prev = htmllib.unescape(re.search(r'href="([^"]+)" rel="prev"', html).group(1))
        middle = re.findall(
            r'<td><a class="mono" href="/admin/recruiters/(RA-[0-9A-Z]{5})"',
            as_viewer.get(prev).get_data(as_text=True),
        )
        assert middle == seen[50:100], sort
    with Session(engine) as s:
        names = sorted((r.legal_name, r.id) for r in s.scalars(select(Recruiter)))
    first = as_viewer.get("/admin/recruiters?sort=name").get_data(as_text=True)
    assert first.index(names[0][0]) < first.index(names[49][0])
    assert as_viewer.get("/admin/recruiters?sort=name&after=garbage").status_code == 200
