"""The access matrix: every /admin route, every method, every role.

The expected least role of each endpoint is written down here. A new /admin route that is not in
EXPECTED fails `test_every_admin_route_is_in_the_matrix`; a route whose view forgets its role check
fails `test_access_matrix` (anonymous must be sent to the login page, a lower role must get 403).
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session

from registry.services import auditlog, companies, fees, reports
from registry.services.fees import ReportInput
from registry.settings import CONFIG_DIR
from tests import factories

ROLES = ("viewer", "auditor", "admin")
RANK = {r: i for i, r in enumerate(ROLES)}
# the only /admin endpoints open to anonymous visitors (the second step of signing in needs the first)
PUBLIC = {"auth.login", "auth.login_code"}
LOGGED_IN = {"auth.logout"}  # any signed-in user

# endpoint -> least role, per method
EXPECTED: dict[str, dict[str, str]] = {
    "admin.dashboard": {"GET": "viewer"},
    "admin.recruiter_list": {"GET": "viewer"},
    "admin.recruiter_detail": {"GET": "viewer"},
    "admin.recruiter_new": {"GET": "auditor", "POST": "auditor"},
    "admin.recruiter_edit": {"GET": "auditor", "POST": "auditor"},
    "admin.recruiter_decide": {"POST": "auditor"},
    "admin.certificate": {"GET": "viewer"},
    "admin.certificate_pdf": {"GET": "viewer"},
    "admin.audit_plan": {"POST": "auditor"},
    "admin.audit_list": {"GET": "viewer"},
    "admin.audit_detail": {"GET": "viewer"},
    "admin.audit_outcome": {"POST": "auditor"},
    "admin.audit_cancel": {"POST": "auditor"},
    "admin.finding_add": {"POST": "auditor"},
    "admin.finding_list": {"GET": "viewer"},
    "admin.finding_close": {"POST": "auditor"},
    "admin.finding_due_date": {"POST": "auditor"},
    "admin.finding_reopen": {"POST": "auditor"},
    "admin.report_list": {"GET": "viewer"},
    "admin.report_detail": {"GET": "viewer"},
    "admin.report_triage": {"POST": "auditor"},
    "admin.report_revise": {"POST": "auditor"},
    "admin.report_link": {"POST": "auditor"},
    "admin.report_repayment": {"POST": "auditor"},
    "admin.report_repayment_reverse": {"POST": "auditor"},
    "admin.repayment_ledger": {"GET": "viewer"},
    "admin.alerts": {"GET": "viewer"},
    "admin.alert_resolve": {"POST": "auditor"},
    "admin.audit_log": {"GET": "viewer"},
    "admin.company_list": {"GET": "admin"},
    "admin.company_create": {"POST": "admin"},
    "admin.company_detail": {"GET": "admin"},
    "admin.api_key_create": {"POST": "admin"},
    "admin.api_key_revoke": {"POST": "admin"},
    "admin.supplier_add": {"POST": "admin"},
    "admin.supplier_remove": {"POST": "admin"},
    "admin.webhook_create": {"POST": "admin"},
    "admin.webhook_delete": {"POST": "admin"},
    "admin.webhook_test": {"POST": "admin"},
    "admin.webhook_enable": {"POST": "admin"},
    "admin.delivery_log": {"GET": "admin"},
    "admin.delivery_redeliver": {"POST": "admin"},
    "admin.user_list": {"GET": "admin"},
    "admin.user_create": {"POST": "admin"},
    "admin.user_role": {"POST": "admin"},
    "admin.user_active": {"POST": "admin"},
    "admin.user_reset_2fa": {"POST": "admin"},
    # one's own account: every signed-in user
    "auth.account": {"GET": "viewer"},
    "auth.change_password": {"POST": "viewer"},
    "auth.two_factor": {"GET": "viewer", "POST": "viewer"},
    "auth.two_factor_disable": {"POST": "viewer"},
    "auth.recovery_codes": {"GET": "viewer", "POST": "viewer"},
}


def admin_routes(app):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/admin"):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield rule, method


def test_every_admin_route_is_in_the_matrix(app):
    missing = []
    for rule, method in admin_routes(app):
        if rule.endpoint in PUBLIC | LOGGED_IN:
            continue
        if method not in EXPECTED.get(rule.endpoint, {}):
            missing.append(f"{method} {rule.rule} ({rule.endpoint})")
    assert not missing, "admin routes without an entry in the access matrix: " + ", ".join(missing)
    known = {r.endpoint for r, _m in admin_routes(app)}
    assert not set(EXPECTED) - known, "matrix names endpoints that no longer exist"


@pytest.fixture
def objects(engine):
    """One of everything, so every URL of the matrix points at something real."""
    with Session(engine, expire_on_commit=False) as s:
        auditlog.set_actor(s, "test")
        rec = factories.accredited(s, name="Matrixfield Manpower Pvt. Ltd.")
        audit = factories.performed_audit(s, rec, kind="surveillance")
        from registry.services import audits

        finding = audits.add_finding(s, audit, principle="P2", severity="minor", description="passports kept")
        fx = fees.fx_table(str(CONFIG_DIR / "fx_rates.csv"))
        report, _ = reports.submit(
            s,
            ReportInput(
                category="medical",
                amount="100",
                currency="USD",
                paid_on=date(2025, 1, 10),
                destination_country="QA",
                recruiter_id=rec.id,
                consent=True,
            ),
            reporter_key="k" * 64,
            submission_key="matrix-1",
            fx=fx,
        )
        company, _ = companies.get_or_create(s, "Matrix Buyer Ltd")
        key = companies.create_api_key(s, company, name="m").key
        companies.add_supplier(s, company, rec.public_id)
        hook = companies.create_webhook(s, company, url="https://example.org/hook").endpoint
        from registry.services import alerts

        alert = alerts.raise_alert(s, key="matrix-alert", kind="licence_invalid", recruiter_id=rec.id)
        s.commit()
    return {
        "public_id": rec.public_id,
        "audit_id": audit.id,
        "finding_id": finding.id,
        "report_id": report.id,
        "entry_id": 1,  # no ledger entry: the view answers 404
        "company_id": company.id,
        "key_id": key.id,
        "webhook_id": hook.id,
        "message_id": 1,  # no dead message: the view says so
        "alert_id": alert.id,
        "decision": "suspend",
    }


def url_for_rule(rule, objects, users) -> str:
    values = {}
    for arg in rule.arguments:
        if arg == "user_id":
            values[arg] = users["viewer"].id
        else:
            values[arg] = objects[arg]
    return rule.build(values, append_unknown=False)[1]


def request(client, method, url):
    return client.open(url, method=method, data={})


def test_access_matrix(app, client, objects, admin_users):
    """Anonymous -> login redirect; lower role -> 403; enough role -> the view runs (no 401/403, no 500)."""
    from tests.functional.admin.conftest import EMAILS, AdminClient

    app.config["WTF_CSRF_ENABLED"] = False  # CSRF has its own test; here only the role check is under test
    routes = [(r, m) for r, m in admin_routes(app) if r.endpoint not in PUBLIC]
    checked = 0
    for rule, method in routes:
        url = url_for_rule(rule, objects, admin_users)
        resp = request(client, method, url)
        assert resp.status_code == 302 and "/admin/login" in resp.headers["Location"], (
            f"anonymous {method} {url} -> {resp.status_code}"
        )
        checked += 1
    for role in ROLES:  # weakest first, so the admin's successful POSTs cannot hide a missing check
        web = AdminClient(app.test_client())
        web.login(EMAILS[role])
        for rule, method in routes:
            if rule.endpoint in LOGGED_IN:
                continue
            url = url_for_rule(rule, objects, admin_users)
            need = EXPECTED[rule.endpoint][method]
            resp = request(web.client, method, url)
            location = resp.headers.get("Location", "")
            if RANK[role] < RANK[need]:
                assert resp.status_code == 403, f"{role} {method} {url} -> {resp.status_code}, expected 403"
                assert "Not allowed" in resp.get_data(as_text=True)
            elif method == "GET":
                assert resp.status_code == 200, f"{role} GET {url} -> {resp.status_code}"
            else:
                assert resp.status_code in (200, 302, 404, 422), (
                    f"{role} {method} {url} -> {resp.status_code}"
                )
                assert "/admin/login" not in location, f"{role} {method} {url} sent to login"
            checked += 1
    assert checked > 3 * len(EXPECTED)


def test_logout_needs_a_signed_in_user_and_post(app, web, admin_users):
    web.as_role("viewer")
    assert web.client.get("/admin/logout").status_code == 405
    resp = web.post("/admin/logout")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/admin/login")
    resp = web.client.get("/admin/")
    assert resp.status_code == 302 and "/admin/login" in resp.headers["Location"]
