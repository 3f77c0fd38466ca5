"""The accreditation cycle in headless Chromium, through the admin UI only.

The only data not entered through the UI: the first admin and a viewer (created with the CLI, as an
operator would), and one fee report submitted through the same service the Telegram bot uses. The
README's dashboard screenshot is taken of the demo registry (`fairrecruit seed --demo`).
"""

from __future__ import annotations

import os
import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect
from sqlmodel import Session

from registry.services import fees, reports
from registry.services.fees import ReportInput
from registry.settings import CONFIG_DIR, PROJECT_ROOT
from registry.timeutil import today

pytestmark = pytest.mark.browser

ADMIN = ("officer@example.org", "officer password 1")
VIEWER = ("reader@example.org", "reader password 1")
# The README's screenshot is refreshed only when asked (FAIRRECRUIT_SCREENSHOTS=1); otherwise the test
# writes it to its own temporary directory, so a test run leaves the checkout unchanged.
README_SCREENSHOT = PROJECT_ROOT / "docs" / "screenshots" / "dashboard.png"


@pytest.fixture
def operators(cli):
    for (email, password), role in ((ADMIN, "admin"), (VIEWER, "viewer")):
        result = cli("users", "create", "--email", email, "--role", role, input=password + "\n")
        assert result.exit_code == 0, result.output


def sign_in(page, base, who):
    page.goto(base + "/admin/")
    expect(page).to_have_url(re.compile(r"/admin/login"))
    page.get_by_label("E-mail").fill(who[0])
    page.get_by_label("Password").fill(who[1])
    page.get_by_role("button", name="Sign in").click()


def flash(page):
    return page.locator(".flashes")


def decide(page, decision, reason):
    page.get_by_label("Reason").fill(reason)
    page.get_by_role("button", name=decision, exact=True).click()


def test_accreditation_cycle_in_the_browser(live_server, page_factory, operators, engine, tmp_path):
    base = live_server
    page = page_factory()

    # Failed, then successful sign-in.
    sign_in(page, base, (ADMIN[0], "wrong password"))
    expect(flash(page)).to_contain_text("Wrong e-mail or password.")
    sign_in(page, base, ADMIN)
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    expect(flash(page)).to_contain_text("Signed in as officer@example.org")

    # Register a recruiter.
    page.get_by_role("link", name="+ New recruiter").click()
    page.get_by_label("Legal name").fill("Annapurnafield Overseas Pvt. Ltd.")
    page.get_by_label("Other names").fill("Annapurna Field Overseas")
    page.get_by_label("Country").select_option("NP")
    page.get_by_label("Licence authority").fill("DoFE")
    page.get_by_label("Licence number").fill("2468/079/80")
    page.get_by_label("Corridors").fill("NP-QA\nNP-AE")
    page.get_by_role("button", name="Register as applicant").click()
    expect(flash(page)).to_contain_text("registered as applicant")
    public_id = re.search(r"RA-[0-9A-Z]{5}", page.locator("h1").inner_text()).group(0)
    expect(page.locator("#status .status-line")).to_contain_text("Applicant")

    # Plan the initial audit.
    page.get_by_label("Kind").select_option("initial")
    page.get_by_label("Planned date").fill((today() - timedelta(days=2)).isoformat())
    page.get_by_label("Certification body").fill("Example Certification Services")
    page.get_by_label("Lead auditor").fill("S. Gurung")
    page.get_by_role("button", name="Plan audit").click()
    expect(flash(page)).to_contain_text(f"Initial audit of {public_id} planned")

    # Record the outcome and a major finding.
    page.get_by_label("Outcome").select_option("nonconforming")
    page.get_by_label("Summary").fill("Workers were charged a service fee")
    page.get_by_role("button", name="Record outcome").click()
    expect(flash(page)).to_contain_text("Outcome recorded: nonconforming")
    page.get_by_label("Principle").select_option("P1")
    page.get_by_label("Severity").select_option("major")
    page.get_by_label("Description").fill("Service fee of NPR 120,000 charged to jobseekers")
    page.get_by_label("Corrective action").fill("Repay every worker in full")
    page.get_by_role("button", name="Add finding").click()
    expect(flash(page)).to_contain_text("Major finding under P1 recorded")
    audit_url = page.url

    # Accreditation is refused while the major finding is open, with a clear message.
    page.get_by_role("link", name="Back to recruiter").click()
    decide(page, "Accredit", "Initial audit completed")
    expect(flash(page)).to_contain_text("cannot be accredited: 1 major finding(s) still open")
    expect(page.locator("#status .status-line")).to_contain_text("Applicant")

    # Close the corrective action with evidence, then accredit.
    page.goto(audit_url)
    page.get_by_placeholder("Evidence the action was taken (required)").fill(
        "Repayment receipts for all 14 workers"
    )
    page.get_by_role("button", name="Close corrective action").click()
    expect(flash(page)).to_contain_text("Corrective action for the major P1 finding closed")
    page.get_by_role("link", name="Back to recruiter").click()
    decide(page, "Accredit", "Corrective actions verified on site")
    expect(flash(page)).to_contain_text(f"{public_id} is now accredited")
    expect(page.locator("#history")).to_contain_text("Corrective actions verified on site")

    # The public verify page shows the new status.
    public = page_factory()
    public.goto(f"{base}/verify/{public_id}")
    expect(public.locator("body")).to_contain_text("Accredited")
    expect(public.locator("body")).to_contain_text("Annapurnafield Overseas")

    # Suspend with a reason (confirmation dialog accepted); the public page follows.
    decide(page, "Suspend", "Licence suspended by the Department of Foreign Employment")
    expect(flash(page)).to_contain_text(f"{public_id} is now suspended")
    public.reload()
    expect(public.locator("body")).to_contain_text("Suspended")

    # A worker reports a fee through the bot (the bot calls this service); the auditor triages it.
    with Session(engine, expire_on_commit=False) as s:
        from registry.services import recruiters

        rec = recruiters.get_by_public_id(s, public_id)
        report, _ = reports.submit(
            s,
            ReportInput(
                category="recruitment_fee",
                amount="95000",
                currency="NPR",
                paid_on=date(2025, 2, 1),
                destination_country="QA",
                origin_country="NP",
                recruiter_id=rec.id,
                consent=True,
            ),
            reporter_key="b" * 64,
            submission_key="browser-test-1",
            fx=fees.fx_table(str(CONFIG_DIR / "fx_rates.csv")),
        )
        s.commit()
    page.locator("#sidenav a[href='/admin/reports']").click()
    expect(page.locator("#sidenav .nav-count")).to_have_text("1")  # one report waiting
    page.get_by_role("link", name=report.case_code).click()
    page.get_by_label("Decision").select_option("substantiated")
    page.get_by_label("Note").fill("Receipt and bank transfer match the report")
    page.get_by_role("button", name="Save triage decision").click()
    expect(flash(page)).to_contain_text(f"Case {report.case_code} marked substantiated")
    expect(flash(page)).to_contain_text("major P1 finding")

    # The dashboard counts what just happened (screenshot kept as a test artefact).
    page.locator("#sidenav").get_by_role("link", name="Dashboard", exact=True).click()
    expect(page.locator(".tiles a", has_text="Suspended")).to_contain_text("1")
    expect(page.locator(".tiles a", has_text="Fee reports awaiting triage")).to_contain_text("0")
    assert page.locator("svg.chart").count() == 3
    page.screenshot(path=str(tmp_path / "dashboard-after-cycle.png"), full_page=True)

    # Tablet width: the navigation folds into a menu button and the pages stay usable.
    tablet = page_factory(width=820, height=1180)
    sign_in(tablet, base, ADMIN)
    nav = tablet.locator("#sidenav")
    expect(nav).to_be_hidden()
    tablet.get_by_role("button", name="Menu").click()
    expect(nav).to_be_visible()
    nav.get_by_role("link", name="Recruiters").click()
    expect(tablet.locator("#recruiters")).to_contain_text(public_id)
    assert tablet.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")

    # A viewer sees everything and can change nothing.
    viewer = page_factory()
    sign_in(viewer, base, VIEWER)
    expect(flash(viewer)).to_contain_text("(viewer)")
    expect(viewer.get_by_role("link", name="+ New recruiter")).to_have_count(0)
    viewer.goto(f"{base}/admin/recruiters/{public_id}")
    expect(viewer.locator("#history")).to_contain_text("Licence suspended")
    expect(viewer.locator("#decision-form")).to_have_count(0)
    expect(viewer.get_by_role("link", name="Edit")).to_have_count(0)
    expect(viewer.locator("#plan-audit")).to_have_count(0)
    token = viewer.locator("input[name=csrf_token]").first.get_attribute("value")
    answer = viewer.request.post(
        f"{base}/admin/recruiters/{public_id}/decide/reinstate",
        form={"csrf_token": token, "reason": "viewer tries"},
        max_redirects=0,
    )
    assert answer.status == 403
    viewer.goto(f"{base}/admin/recruiters/new")
    expect(viewer.locator("h1")).to_have_text("Not allowed")
    viewer.goto(f"{base}/admin/reports/{report.id}")
    expect(viewer.locator("#triage-form")).to_have_count(0)
    viewer.goto(f"{base}/admin/users")
    expect(viewer.locator("h1")).to_have_text("Not allowed")
    public.reload()
    expect(public.locator("body")).to_contain_text("Suspended")


@pytest.mark.parametrize(
    "backend", ["sqlite"]
)  # one screenshot is enough; the cycle above runs on both engines
def test_dashboard_of_the_demo_registry(live_server, page_factory, cli, backend, tmp_path):
    """The README's dashboard screenshot: the demo registry (loaded by the operator command) in Chromium."""
    result = cli("seed", "--demo")
    assert result.exit_code == 0, result.output
    email, password = re.search(r"admin login:\s+(\S+) / (\S+)", result.output).groups()
    page = page_factory(width=1280, height=800)
    sign_in(page, live_server, (email, password))
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    accredited = int(
        page.locator(".tiles a", has_text="Accredited").locator(".tile-n").inner_text().replace(",", "")
    )
    assert accredited > 0
    charts = page.locator("svg.chart")
    assert charts.count() == 3
    expect(charts.nth(0)).to_contain_text("recruitment fee")
    expect(charts.nth(1)).to_contain_text("NP→QA")
    expect(charts.nth(2)).to_contain_text("accredited")
    expect(page.locator("svg.chart .empty")).to_have_count(0)
    page.reload()  # without the "signed in" message
    expect(page.locator(".flashes")).to_have_count(0)
    shot = (
        README_SCREENSHOT if os.environ.get("FAIRRECRUIT_SCREENSHOTS") == "1" else tmp_path / "dashboard.png"
    )
    shot.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 20_000
