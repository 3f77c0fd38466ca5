"""The second factor: TOTP enrolment with a QR code, sign-in with a code or a one-use recovery code,
replays refused, recovery codes shown once, and admins held to it where the setting requires it."""

from __future__ import annotations

import re
import time

import pyotp
from sqlmodel import Session, select

from registry.models import RecoveryCode, User
from tests.functional.admin.conftest import EMAILS, PASSWORD, AdminClient, flashes


def _enrol(web) -> tuple[str, list[str]]:
    """Turn the second factor on through the pages; returns the secret and the recovery codes."""
    page = web.get("/admin/account/2fa").get_data(as_text=True)
    assert "<svg" in page  # the QR code, inline
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    resp = web.post("/admin/account/2fa", {"code": "000000" if pyotp.TOTP(secret).now() != "000000" else "1"})
    assert "code is not right" in flashes(web.get("/admin/account/2fa"))
    # the same secret is offered again until it is confirmed
    assert secret in web.get("/admin/account/2fa").get_data(as_text=True).replace(" ", "")
    resp = web.post("/admin/account/2fa", {"code": pyotp.TOTP(secret).now()})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/admin/account/recovery-codes")
    html = web.get("/admin/account/recovery-codes").get_data(as_text=True)
    codes = re.findall(r"\b[a-z2-9]{5}-[a-z2-9]{5}\b", html)
    assert len(codes) == 10 and len(set(codes)) == 10
    again = web.get("/admin/account/recovery-codes").get_data(as_text=True)
    assert "already shown" in again and not any(c in again for c in codes)
    return secret, codes


def _password_step(app, email=EMAILS["auditor"]) -> AdminClient:
    web = AdminClient(app.test_client())
    resp = web.login(email)
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/admin/login/code")
    web.get("/admin/login/code")
    assert web.client.get("/admin/").status_code == 302  # not signed in before the second step
    return web


def test_enrol_and_sign_in_with_a_code(app, admin_users, engine):
    web = AdminClient(app.test_client()).as_role("auditor")
    other = AdminClient(app.test_client()).as_role("auditor")
    secret, _codes = _enrol(web)
    assert web.client.get("/admin/").status_code == 200  # this session goes on
    assert other.client.get("/admin/").status_code == 302  # the others ended
    with Session(engine) as s:
        user = s.get(User, admin_users["auditor"].id)
        assert user.totp_enabled_at is not None
        assert secret not in user.totp_secret  # stored encrypted
        assert all(len(rc.code_hash) == 64 for rc in s.exec(select(RecoveryCode)).all())

    # The password alone no longer signs in.
    signer = _password_step(app)
    resp = signer.post("/admin/login/code", {"code": "12345"})
    assert resp.status_code == 401 and "code is not right" in flashes(resp)
    totp = pyotp.TOTP(secret)
    code = totp.at(time.time() + 30)  # the next step's code, so the enrolment's step is not reused
    resp = signer.post("/admin/login/code", {"code": code})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/admin/")
    assert "Signed in as auditor@example.org" in flashes(signer.get("/admin/"))

    # The same code cannot be used twice.
    replay = _password_step(app)
    assert replay.post("/admin/login/code", {"code": code}).status_code == 401


def test_recovery_codes_work_once(app, admin_users):
    web = AdminClient(app.test_client()).as_role("auditor")
    _secret, codes = _enrol(web)
    signer = _password_step(app)
    resp = signer.post("/admin/login/code", {"code": codes[0].upper().replace("-", " ")})
    assert resp.status_code == 302
    assert "9 left" in flashes(signer.get("/admin/"))
    again = _password_step(app)
    assert again.post("/admin/login/code", {"code": codes[0]}).status_code == 401
    assert again.post("/admin/login/code", {"code": codes[1]}).status_code == 302
    # New codes replace the old ones; they are shown once after the redirect.
    again.get("/admin/account")
    resp = again.post("/admin/account/recovery-codes", {"password": PASSWORD})
    assert resp.status_code == 302
    new = re.findall(
        r"\b[a-z2-9]{5}-[a-z2-9]{5}\b", again.get("/admin/account/recovery-codes").get_data(as_text=True)
    )
    assert len(new) == 10 and not set(new) & set(codes)
    assert _password_step(app).post("/admin/login/code", {"code": codes[2]}).status_code == 401


def test_the_second_step_expires_and_needs_the_first(app, admin_users, monkeypatch):
    web = AdminClient(app.test_client())
    resp = web.client.get("/admin/login/code")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/admin/login")
    web = AdminClient(app.test_client()).as_role("auditor")
    secret, _ = _enrol(web)
    signer = _password_step(app)
    later = time.time() + 301
    monkeypatch.setattr("registry.web.auth.time.time", lambda: later)
    resp = signer.post("/admin/login/code", {"code": pyotp.TOTP(secret).now()})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/admin/login")


def test_turning_the_second_factor_off(app, admin_users):
    web = AdminClient(app.test_client()).as_role("auditor")
    _enrol(web)
    web.get("/admin/account")
    resp = web.post("/admin/account/2fa/disable", {"password": "not my password"}, follow_redirects=True)
    assert "password is not right" in flashes(resp)
    resp = web.post("/admin/account/2fa/disable", {"password": PASSWORD}, follow_redirects=True)
    assert "Second factor off" in flashes(resp)
    assert AdminClient(app.test_client()).login(EMAILS["auditor"]).headers["Location"].endswith("/admin/")


def test_admins_must_enrol_first_where_required(app, admin_users, settings):
    settings.require_2fa_for_admins = True
    admin = AdminClient(app.test_client()).as_role("admin")
    for url in ("/admin/", "/admin/users", "/admin/account", "/admin/companies"):
        resp = admin.client.get(url)
        assert resp.status_code == 302 and resp.headers["Location"].endswith("/admin/account/2fa"), url
    assert admin.post("/admin/users", {}).headers["Location"].endswith("/admin/account/2fa")
    page = admin.get("/admin/account/2fa").get_data(as_text=True)
    assert "Administrators must use a second factor" in page
    _secret, _codes = _enrol(admin)
    assert admin.client.get("/admin/users").status_code == 200
    admin.get("/admin/account")
    resp = admin.post("/admin/account/2fa/disable", {"password": PASSWORD}, follow_redirects=True)
    assert "must keep a second factor" in flashes(resp)
    # Other roles are not held to it.
    assert AdminClient(app.test_client()).as_role("viewer").client.get("/admin/").status_code == 200


def test_an_admin_resets_a_lost_second_factor(app, admin_users, engine, cli):
    web = AdminClient(app.test_client()).as_role("auditor")
    _enrol(web)
    admin = AdminClient(app.test_client()).as_role("admin")
    admin.get("/admin/users")
    resp = admin.post(f"/admin/users/{admin_users['auditor'].id}/reset-2fa", follow_redirects=True)
    assert "Second factor of auditor@example.org removed" in flashes(resp)
    assert web.client.get("/admin/").status_code == 302  # signed out everywhere
    assert AdminClient(app.test_client()).login(EMAILS["auditor"]).headers["Location"].endswith("/admin/")
    _enrol(AdminClient(app.test_client()).as_role("auditor"))
    result = cli("users", "reset-2fa", "--email", EMAILS["auditor"])
    assert result.exit_code == 0 and "removed" in result.output
    with Session(engine) as s:
        assert s.get(User, admin_users["auditor"].id).totp_enabled_at is None
