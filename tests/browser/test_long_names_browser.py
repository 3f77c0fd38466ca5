"""Long unbroken names wrap on a phone: headless Chromium at 390 px loads every page that shows a
recruiter's, company's or auditor's name (public search and card, the admin lists and detail pages,
the certificate) with 300-character names without a space, and no page scrolls sideways."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from playwright.sync_api import expect
from sqlmodel import Session

from registry.services import accreditation, auditlog, audits, companies, fees, ledger, recruiters, reports
from registry.services.recruiters import RecruiterInput
from registry.settings import CONFIG_DIR
from registry.timeutil import today

pytestmark = pytest.mark.browser

WIDTH = 390
ADMIN = ("officer@example.org", "officer password 1")


def unbroken(stem: str, length: int) -> str:
    return (stem * (length // len(stem) + 1))[:length]


NAME = unbroken("Longfieldoverseasplacement", 300)
OTHER = unbroken("Dirghakshetraovaraseej", 300)


@pytest.fixture
def registry_with_long_names(engine, cli):
    result = cli("users", "create", "--email", ADMIN[0], "--role", "admin", input=ADMIN[1] + "\n")
    assert result.exit_code == 0, result.output
    with Session(engine, expire_on_commit=False) as s:
        auditlog.set_actor(s, "test")
        rec = recruiters.create(
            s,
            RecruiterInput(
                legal_name=NAME,
                other_names=[OTHER],
                country="NP",
                licence_authority=unbroken("Departmentofforeignemployment", 120),
                licence_number=unbroken("RL0123456789", 80),
                corridors=[("NP", "QA")],
                sectors=[unbroken("construction", 120)],
                contact_email=unbroken("contact", 180) + "@example.org",
                contact_phone=unbroken("9779800000000", 60),
                website="https://" + unbroken("longfieldoverseas", 280) + ".example.org",
                address=unbroken("Ringroadkathmandu", 500),
            ),
            actor="test",
        )
        audit = audits.plan(
            s,
            rec,
            kind="initial",
            planned_date=today() - timedelta(days=2),
            certification_body=unbroken("Certificationbody", 200),
            lead_auditor=unbroken("Leadauditor", 200),
            actor="test",
        )
        audits.record_outcome(
            s, audit, performed_date=today(), outcome="conforming", summary=unbroken("Summary", 1000)
        )
        audits.add_finding(
            s,
            audit,
            principle="P2",
            severity="observation",
            description=unbroken("Findingdescription", 1000),
            corrective_action=unbroken("Correctiveaction", 1000),
        )
        accreditation.decide(s, rec, "accredit", actor="test", reason=unbroken("Reason", 1000))
        company, _ = companies.get_or_create(s, unbroken("Examplegarmentsmanufacturing", 200))
        companies.create_api_key(s, company, name=unbroken("Suppliersync", 120))
        companies.add_supplier(s, company, rec.public_id)
        fx = fees.fx_table(str(CONFIG_DIR / "fx_rates.csv"))
        linked, _ = reports.submit(
            s,
            fees.ReportInput(
                category="recruitment_fee",
                amount="150000",
                currency="NPR",
                paid_on=date(2025, 3, 1),
                destination_country="QA",
                recruiter_id=rec.id,
                free_text=unbroken("Freetext", 1000),
                consent=True,
            ),
            reporter_key="a" * 64,
            submission_key="long-1",
            fx=fx,
        )
        unlinked, _ = reports.submit(
            s,
            fees.ReportInput(
                category="medical",
                amount="8000",
                currency="NPR",
                paid_on=date(2025, 3, 1),
                destination_country="QA",
                recruiter_text=unbroken("Typedagencyname", 300),
                consent=True,
            ),
            reporter_key="b" * 64,
            submission_key="long-2",
            fx=fx,
        )
        reports.triage(s, linked, status="substantiated", note=unbroken("Triagenote", 1000), actor="test")
        ledger.add_entry(
            s,
            linked,
            state="claimed",
            amount="150000",
            currency="NPR",
            on_date=today(),
            note=unbroken("Ledgernote", 1000),
            actor="test",
        )
        s.commit()
        return {"rec": rec, "audit": audit, "company": company, "linked": linked, "unlinked": unlinked}


# What sticks out (for the failure message): the innermost elements past the right edge.
OVERFLOWING = f"""Array.from(document.querySelectorAll('body *'))
  .filter(e => e.getBoundingClientRect().right > {WIDTH} && e.children.length === 0)
  .slice(0, 5).map(e => e.tagName.toLowerCase() + '.' + e.className + ': ' + (e.textContent || '').slice(0, 30))"""


def wrapped(locator) -> None:
    """The element shows the whole long name on several lines inside the screen."""
    expect(locator).to_contain_text(NAME)
    box = locator.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= WIDTH, box
    assert box["height"] > 3 * float(locator.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")), box


def scroll_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


@pytest.mark.parametrize("backend", ["sqlite"])
def test_no_page_scrolls_sideways_on_a_phone(backend, live_server, page_factory, registry_with_long_names):
    data = registry_with_long_names
    pid = data["rec"].public_id
    page = page_factory(width=WIDTH, height=800)
    public = ["/", f"/verify?q={NAME[:40]}", f"/verify?q={OTHER[:60]}", f"/verify/{pid}"]
    admin = [
        "/admin/",
        "/admin/recruiters",
        f"/admin/recruiters?q={NAME[:40]}",
        f"/admin/recruiters/{pid}",
        f"/admin/recruiters/{pid}/edit",
        f"/admin/recruiters/{pid}/certificate",
        "/admin/companies",
        f"/admin/companies/{data['company'].id}",
        "/admin/reports",
        f"/admin/reports/{data['linked'].id}",
        f"/admin/reports/{data['unlinked'].id}",
        "/admin/repayments",
        "/admin/audits",
        f"/admin/audits/{data['audit'].id}",
        "/admin/findings",
        "/admin/audit-log",
        "/admin/alerts",
        "/admin/deliveries",
    ]
    wide = {}
    for path in public:
        response = page.goto(live_server + path)
        assert response.status == 200, path
        if path.startswith("/verify/"):
            wrapped(page.locator("h1"))
        if (width := scroll_width(page)) > WIDTH:
            wide[path] = (width, page.evaluate(OVERFLOWING))
    page.goto(live_server + "/admin/login")
    page.get_by_label("E-mail").fill(ADMIN[0])
    page.get_by_label("Password").fill(ADMIN[1])
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("h1")).to_contain_text("Dashboard")
    for path in admin:
        response = page.goto(live_server + path)
        assert response.status == 200, path
        if path in (f"/admin/recruiters/{pid}", f"/admin/recruiters/{pid}/certificate"):
            wrapped(page.locator("h1, .cert-name").last)
        if (width := scroll_width(page)) > WIDTH:
            wide[path] = (width, page.evaluate(OVERFLOWING))
    assert wide == {}, f"pages wider than {WIDTH} px: {wide}"
