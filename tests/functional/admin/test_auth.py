"""Sign-in: argon2id hashes, answers and timing that tell nothing, throttling without a lock, CSRF,
cookie flags; sessions that end (sign-out, deactivation, password and role change, idle time)."""

from __future__ import annotations

import re
import statistics
import time

import pytest
from sqlmodel import Session

from registry.models import User
from registry.services import users as user_service
from tests.functional.admin.conftest import EMAILS, PASSWORD, AdminClient, flashes

_TOKEN = re.compile(r'(name="csrf_token"[^>]*value=")[^"]+"')


def test_passwords_are_argon2id(admin_users, engine):
    with Session(engine) as s:
        user = s.get(User, admin_users["admin"].id)
        assert user.password_hash.startswith("$argon2id$")
        assert PASSWORD not in user.password_hash


def test_login_wrong_password_then_right(web, admin_users):
    resp = web.login(EMAILS["auditor"], "not the password")
    assert resp.status_code == 401
    assert "Wrong e-mail or password." in flashes(resp)
    resp = web.login("nobody@example.org", PASSWORD)
    assert resp.status_code == 401 and "Wrong e-mail or password." in flashes(resp)
    resp = web.login(EMAILS["auditor"])
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/admin/")
    page = web.get("/admin/")
    assert "auditor@example.org" in page.get_data(as_text=True)


def _answer(resp, email: str) -> tuple:
    """What a client can see of a refused sign-in, less the per-request CSRF token and the address
    it typed (shown back in the form)."""
    body = _TOKEN.sub(r'\1TOKEN"', resp.get_data(as_text=True)).replace(f'value="{email}"', 'value="…"')
    headers = sorted(
        (k, v)
        for k, v in resp.headers.items()
        if k
        not in {
            "Set-Cookie",
            "Date",
            "Content-Length",
            "X-RateLimit-Remaining",
            "X-RateLimit-Reset",
            "Retry-After",
        }
    )
    return resp.status_code, body, headers


def test_unknown_inactive_and_known_addresses_get_the_same_answer(app, admin_users, engine):
    with Session(engine) as s:
        s.get(User, admin_users["auditor"].id).active = False
        s.commit()
    answers = {}
    for label, email in {
        "known, wrong password": EMAILS["viewer"],
        "unknown": "nobody@example.org",
        "deactivated": EMAILS["auditor"],
        "not an address": "nobody",
    }.items():
        web = AdminClient(app.test_client())
        answers[label] = _answer(web.login(email, "a wrong password"), email)
    first = next(iter(answers.values()))
    assert first[0] == 401 and "Wrong e-mail or password." in first[1]
    for label, answer in answers.items():
        assert answer == first, f"the answer for {label!r} differs"
    assert "locked" not in first[1]


def test_sign_in_takes_as_long_for_unknown_as_for_known_addresses(app, engine, monkeypatch):
    """With the production argon2 parameters, a refused sign-in costs the same whether the address
    has an account or not (the unknown one is verified against a dummy hash of the same cost)."""
    from argon2 import PasswordHasher

    monkeypatch.setattr(user_service, "_hasher", PasswordHasher())
    with Session(engine) as s:
        user_service.create(s, email="timed@example.org", role="viewer", password=PASSWORD)
        s.commit()
    web = AdminClient(app.test_client())
    web.get("/admin/login")
    known, unknown = [], []
    for i in range(8):  # interleaved, so load on the machine hits both alike
        for email, times in (("timed@example.org", known), (f"nobody{i}@example.org", unknown)):
            t0 = time.perf_counter()
            assert web.post("/admin/login", {"email": email, "password": "wrong password"}).status_code == 401
            times.append(time.perf_counter() - t0)
    k, u = statistics.median(known), statistics.median(unknown)
    assert k > 0.005, "argon2 with production parameters should take measurable time"
    assert 0.6 < u / k < 1.6, f"known {k * 1000:.1f} ms, unknown {u * 1000:.1f} ms"


def test_session_cookie_is_httponly_and_samesite(web, admin_users):
    resp = web.login(EMAILS["viewer"])
    cookies = resp.headers.getlist("Set-Cookie")
    session_cookie = next(c for c in cookies if c.startswith("session="))
    assert "HttpOnly" in session_cookie and "SameSite=Lax" in session_cookie
    device = next(c for c in cookies if c.startswith("fr_device="))
    assert "HttpOnly" in device and "Path=/admin" in device


def test_secure_cookie_in_production(tmp_path, engine):
    from registry import create_app
    from registry.settings import Settings

    app = create_app(
        Settings(
            env="production",
            database_url="sqlite://",
            secret_key="x" * 32,
            pseudonym_key="y" * 32,
            var_dir=tmp_path,
        ),
        engine=engine,
    )
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_next_only_goes_to_admin_pages(web, admin_users):
    web.get("/admin/login")
    resp = web.post(
        "/admin/login?next=https://evil.example/x", {"email": EMAILS["viewer"], "password": PASSWORD}
    )
    assert resp.headers["Location"].endswith("/admin/")
    web.post("/admin/logout")
    web.get("/admin/login")
    resp = web.post("/admin/login?next=/admin/recruiters", {"email": EMAILS["viewer"], "password": PASSWORD})
    assert resp.headers["Location"].endswith("/admin/recruiters")


# --- throttling: per address hash and per client, never a lock --------------------------------------


def test_attempts_per_address_are_throttled_alike_for_every_address(app, admin_users, settings):
    settings.login_limit_per_account = "3/2 seconds"
    stranger = AdminClient(app.test_client())
    for email in (EMAILS["auditor"], "nobody@example.org"):
        for _ in range(3):
            assert stranger.login(email, "wrong password!").status_code == 401
        resp = stranger.login(email, "wrong password!")
        assert resp.status_code == 429, email
        assert "Too many sign-in attempts" in resp.get_data(as_text=True)
        assert 1 <= int(resp.headers["Retry-After"]) <= 2
    # The right password waits too, in any browser that never signed in to the account ...
    assert AdminClient(app.test_client()).login(EMAILS["auditor"]).status_code == 429
    # ... while other addresses are not held up by it,
    assert stranger.login(EMAILS["viewer"]).status_code == 302
    # and once the window has passed the account signs in: there is no lock.
    time.sleep(2.2)
    assert AdminClient(app.test_client()).login(EMAILS["auditor"]).status_code == 302


def test_a_stranger_cannot_keep_the_owner_out(app, admin_users, settings):
    """The owner's browser (it signed in before: a device cookie) counts its attempts on its own."""
    owner = AdminClient(app.test_client())
    owner.as_role("auditor")
    owner.post("/admin/logout")
    settings.login_limit_per_account = "3/15 minutes"
    stranger = AdminClient(app.test_client())
    for _ in range(4):
        stranger.login(EMAILS["auditor"], "guessing")
    assert stranger.login(EMAILS["auditor"], "guessing").status_code == 429
    assert owner.login(EMAILS["auditor"]).status_code == 302
    # A forged or foreign device cookie is worth nothing.
    forger = AdminClient(app.test_client())
    forger.client.set_cookie("fr_device", "eyJhIjoiMSIsImQiOiIyIn0.forged.sig", path="/admin")
    assert forger.login(EMAILS["auditor"]).status_code == 429


def test_failures_slow_down_the_answer_alike_for_every_address(app, admin_users, settings):
    settings.login_failure_delay_seconds = 0.2
    for email in (EMAILS["viewer"], "nobody@example.org"):
        web = AdminClient(app.test_client())
        web.get("/admin/login")
        t0 = time.perf_counter()
        web.post("/admin/login", {"email": email, "password": "bad password 1"})
        first = time.perf_counter() - t0
        t0 = time.perf_counter()
        web.post("/admin/login", {"email": email, "password": "bad password 2"})
        second = time.perf_counter() - t0
        assert first >= 0.2 and second >= 0.4, email


def test_sign_in_attempts_are_rate_limited_per_client(app, web, admin_users, settings):
    settings.login_limit_per_client = "3/minute"
    for left, email in zip((2, 1, 0), ("a@example.org", "b@example.org", "c@example.org"), strict=True):
        resp = web.login(email, "wrong password!")
        assert resp.status_code == 401
        assert (resp.headers["X-RateLimit-Limit"], resp.headers["X-RateLimit-Remaining"]) == ("3", str(left))
    resp = web.login(EMAILS["viewer"])
    assert resp.status_code == 429 and "Too many sign-in attempts" in resp.get_data(as_text=True)
    assert resp.headers["X-RateLimit-Remaining"] == "0" and 0 <= int(resp.headers["Retry-After"]) <= 60
    assert "X-RateLimit-Limit" not in web.client.get("/admin/login").headers  # only sign-ins are counted


def test_csrf_is_required_on_every_form(as_auditor):
    resp = as_auditor.post(
        "/admin/recruiters/new", {"legal_name": "X Placement", "country": "NP"}, csrf=False
    )
    assert resp.status_code == 400
    resp = as_auditor.post("/admin/logout", csrf=False)
    assert resp.status_code == 400
    resp = as_auditor.client.post("/admin/login", data={"email": EMAILS["admin"], "password": PASSWORD})
    assert resp.status_code == 400


# --- sessions end -----------------------------------------------------------------------------------


def _copy(app, web) -> AdminClient:
    """Another browser holding a copy of `web`'s session cookie."""
    other = AdminClient(app.test_client())
    other.client.set_cookie("session", web.client.get_cookie("session").value)
    return other


def _signed_in(web) -> bool:
    resp = web.client.get("/admin/")
    if resp.status_code == 302:
        assert "/admin/login" in resp.headers["Location"]
        return False
    assert resp.status_code == 200
    return True


def test_sign_out_ends_every_session_of_the_user(app, admin_users):
    first = AdminClient(app.test_client()).as_role("viewer")
    second = AdminClient(app.test_client()).as_role("viewer")
    copied = _copy(app, first)
    other_user = AdminClient(app.test_client()).as_role("auditor")
    assert _signed_in(copied) and _signed_in(second)
    first.post("/admin/logout")
    assert not _signed_in(first)
    assert not _signed_in(copied), "a copied cookie still opens the admin after sign-out"
    assert not _signed_in(second)
    assert _signed_in(other_user)  # other users' sessions go on


def test_deactivation_ends_sessions_even_after_reactivation(app, as_admin, admin_users):
    viewer = AdminClient(app.test_client()).as_role("viewer")
    copied = _copy(app, viewer)
    uid = admin_users["viewer"].id
    assert "deactivated" in flashes(as_admin.post(f"/admin/users/{uid}/active", follow_redirects=True))
    assert not _signed_in(copied)
    assert AdminClient(app.test_client()).login(EMAILS["viewer"]).status_code == 401
    assert "reactivated" in flashes(as_admin.post(f"/admin/users/{uid}/active", follow_redirects=True))
    assert not _signed_in(copied), "an old cookie works again after reactivation"
    assert not _signed_in(viewer)
    assert AdminClient(app.test_client()).login(EMAILS["viewer"]).status_code == 302
    assert _signed_in(as_admin)  # the admin's own session goes on


def test_deactivation_outside_the_panel_ends_sessions_too(app, web, admin_users, engine):
    web.as_role("viewer")
    with Session(engine) as s:
        s.get(User, admin_users["viewer"].id).active = False
        s.commit()
    assert not _signed_in(web)
    assert web.login(EMAILS["viewer"]).status_code == 401


def test_role_change_ends_sessions(app, as_admin, admin_users):
    viewer = AdminClient(app.test_client()).as_role("viewer")
    copied = _copy(app, viewer)
    resp = as_admin.post(
        f"/admin/users/{admin_users['viewer'].id}/role", {"role": "auditor"}, follow_redirects=True
    )
    assert "viewer@example.org is now auditor" in flashes(resp)
    assert not _signed_in(viewer) and not _signed_in(copied)
    again = AdminClient(app.test_client())
    again.login(EMAILS["viewer"])
    assert "(auditor)" in flashes(again.get("/admin/"))


def test_password_change_ends_the_other_sessions(app, admin_users):
    web = AdminClient(app.test_client()).as_role("viewer")
    copied = _copy(app, web)  # the cookie as it was before the change
    elsewhere = AdminClient(app.test_client()).as_role("viewer")
    web.get("/admin/account")
    new = "plum orchard lantern 42"
    resp = web.post(
        "/admin/account/password",
        {"current_password": PASSWORD, "password": new, "confirm": new},
        follow_redirects=True,
    )
    assert "Password changed" in flashes(resp)
    assert _signed_in(web), "the session that changed the password goes on"
    assert not _signed_in(copied) and not _signed_in(elsewhere)
    assert AdminClient(app.test_client()).login(EMAILS["viewer"]).status_code == 401
    assert AdminClient(app.test_client()).login(EMAILS["viewer"], new).status_code == 302


def test_password_change_is_checked(app, as_viewer):
    as_viewer.get("/admin/account")
    for data, message in (
        (
            {"current_password": "not it at all", "password": "plum orchard lantern 42"},
            "current password is not right",
        ),
        ({"current_password": PASSWORD, "password": "password1234"}, "common passwords"),
        ({"current_password": PASSWORD, "password": "viewer@example.org"}, "e-mail address"),
        ({"current_password": PASSWORD, "password": "short one"}, "at least 12 characters"),
        ({"current_password": PASSWORD, "password": PASSWORD}, "must differ"),
    ):
        data.setdefault("confirm", data["password"])
        resp = as_viewer.post("/admin/account/password", data, follow_redirects=True)
        assert message in flashes(resp), data
    resp = as_viewer.post(
        "/admin/account/password",
        {"current_password": PASSWORD, "password": "plum orchard lantern 42", "confirm": "something else"},
        follow_redirects=True,
    )
    assert "the two new passwords differ" in flashes(resp)
    assert AdminClient(as_viewer.client.application.test_client()).login(EMAILS["viewer"]).status_code == 302


def test_sessions_end_after_the_idle_time_and_activity_keeps_them(settings, engine, admin_users):
    from registry import create_app

    app = create_app(settings.model_copy(update={"session_idle_minutes": 0.05}), engine=engine)  # 3 s
    busy = AdminClient(app.test_client()).as_role("viewer")
    idle = AdminClient(app.test_client()).as_role("auditor")
    copied = _copy(app, idle)
    for _ in range(3):
        time.sleep(1.5)
        assert _signed_in(busy), "a session in use must not expire"
    assert not _signed_in(idle)
    assert not _signed_in(copied), "a copied cookie outlives the idle time"


def test_a_remember_me_cookie_signs_nobody_in(app, admin_users):
    from flask_login.utils import encode_cookie

    with app.test_request_context():
        value = encode_cookie(str(admin_users["admin"].id))
    web = AdminClient(app.test_client())
    web.client.set_cookie("remember_token", value)
    assert not _signed_in(web)


# --- users -----------------------------------------------------------------------------------------


def test_users_admin(as_admin, admin_users):
    resp = as_admin.post(
        "/admin/users",
        {"email": "new.auditor@example.org", "role": "auditor", "password": "a long enough password"},
        follow_redirects=True,
    )
    assert "created with role auditor" in flashes(resp)
    resp = as_admin.post(
        "/admin/users",
        {"email": "new.auditor@example.org", "role": "auditor", "password": "a long enough password"},
        follow_redirects=True,
    )
    assert "already exists" in flashes(resp)
    for password, message in (
        ("short", "at least 12"),
        ("aaaaaaaaaaaaaaaa", "too easy to guess"),
        ("qwertyuiop123", "common passwords"),
        ("short.one@example.org", "e-mail address"),
    ):
        resp = as_admin.post(
            "/admin/users",
            {"email": "short.one@example.org", "role": "viewer", "password": password},
            follow_redirects=True,
        )
        assert message in flashes(resp), password
    assert "short.one@example.org" not in as_admin.get("/admin/users").get_data(as_text=True)
    resp = as_admin.post(
        f"/admin/users/{admin_users['viewer'].id}/role", {"role": "auditor"}, follow_redirects=True
    )
    assert "viewer@example.org is now auditor" in flashes(resp)
    resp = as_admin.post(
        f"/admin/users/{admin_users['admin'].id}/role", {"role": "viewer"}, follow_redirects=True
    )
    assert "cannot take the admin role away from yourself" in flashes(resp)
    resp = as_admin.post(f"/admin/users/{admin_users['admin'].id}/active", follow_redirects=True)
    assert "cannot deactivate your own account" in flashes(resp)
    resp = as_admin.post(f"/admin/users/{admin_users['auditor'].id}/active", follow_redirects=True)
    assert "deactivated" in flashes(resp)


def test_cli_user_creation_applies_the_password_rule(cli, engine):
    result = cli("users", "create", "--email", "ops@example.org", "--role", "admin", input="aaaaaaaaaa\n")
    assert result.exit_code != 0 and "at least 12 characters" in result.output
    result = cli("users", "create", "--email", "ops@example.org", "--role", "admin", input="password1234\n")
    assert result.exit_code != 0 and "common passwords" in result.output
    result = cli(
        "users", "create", "--email", "ops@example.org", "--role", "admin", input="quiet harbour kites\n"
    )
    assert result.exit_code == 0, result.output
    with Session(engine) as s:
        assert user_service.by_email(s, "ops@example.org") is not None


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("", "password_too_short"),
        ("eleven char", "password_too_short"),
        ("x" * 501, "password_too_long"),
        ("iloveyou1234", "password_common"),
        ("Password1234", "password_common"),
        ("jane.doe@example.org", "password_like_email"),
        ("janedoe12345", "password_like_email"),
        ("abcabcabcabcabc", "password_weak"),
        ("123456789qwerty", "password_common"),
        ("!!Summer2024!!", "password_common"),
    ],
)
def test_password_rule(password, code):
    from registry.errors import InvalidInput
    from registry.services import passwords

    with pytest.raises(InvalidInput) as err:
        passwords.check(password, email="jane.doe@example.org")
    assert err.value.code == code and err.value.field == "password"


def test_password_rule_accepts_passphrases():
    from registry.seed.data import DEMO_ADMIN_EMAIL, DEMO_ADMIN_PASSWORD
    from registry.services import passwords

    for password, email in (
        ("correct horse battery", "jane.doe@example.org"),
        ("Tr0ub4dor&3-elephant", "jane.doe@example.org"),
        (DEMO_ADMIN_PASSWORD, DEMO_ADMIN_EMAIL),
    ):
        passwords.check(password, email=email)
