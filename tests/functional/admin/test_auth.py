"""Sign-in: argon2id hashes, generic errors, slowing down and locking, CSRF, cookie flags."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from registry.models import User
from registry.services import users as user_service
from tests.functional.admin.conftest import EMAILS, PASSWORD, flashes


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
    assert resp.status_code == 401 and "Wrong e-mail or password." in flashes(
        resp
    )  # same message: no user enumeration
    resp = web.login(EMAILS["auditor"])
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/admin/")
    page = web.get("/admin/")
    assert "auditor@example.org" in page.get_data(as_text=True)


def test_session_cookie_is_httponly_and_samesite(web, admin_users):
    resp = web.login(EMAILS["viewer"])
    cookie = resp.headers.get("Set-Cookie", "")
    assert "session=" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


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


def test_repeated_failures_lock_the_account(app, web, admin_users, engine, settings):
    assert settings.login_max_failures == 5
    for _ in range(settings.login_max_failures - 1):
        assert web.login(EMAILS["auditor"], "wrong password!").status_code == 401
    resp = web.login(EMAILS["auditor"], "wrong password!")
    assert "locked until" in flashes(resp)
    # Even the right password is refused while locked.
    resp = web.login(EMAILS["auditor"])
    assert resp.status_code == 401 and "locked until" in flashes(resp)
    with Session(engine) as s:
        user = s.get(User, admin_users["auditor"].id)
        assert user.locked_until is not None
        assert (
            timedelta(minutes=settings.login_lock_minutes - 1)
            < user.locked_until - user_service.utcnow()
            <= timedelta(minutes=settings.login_lock_minutes)
        )
    # An admin unlocks it from the users page.
    admin = type(web)(app.test_client())
    admin.as_role("admin")
    page = admin.get("/admin/users").get_data(as_text=True)
    assert "locked until" in page
    resp = admin.post(f"/admin/users/{admin_users['auditor'].id}/unlock", follow_redirects=True)
    assert "unlocked" in flashes(resp)
    assert web.login(EMAILS["auditor"]).status_code == 302


def test_lock_expires(admin_users, engine):
    with Session(engine) as s:
        now = user_service.utcnow()
        for _ in range(5):
            r = user_service.authenticate(
                s, EMAILS["viewer"], "bad", max_failures=5, lock_minutes=15, now=now
            )
        assert r.locked
        assert not user_service.authenticate(
            s, EMAILS["viewer"], PASSWORD, max_failures=5, lock_minutes=15, now=now + timedelta(minutes=14)
        ).ok
        assert user_service.authenticate(
            s, EMAILS["viewer"], PASSWORD, max_failures=5, lock_minutes=15, now=now + timedelta(minutes=16)
        ).ok


def test_failures_slow_down_the_answer(app, web, admin_users):
    import time

    app.config["ADMIN_LOGIN_FAILURE_DELAY"] = 0.2
    t0 = time.perf_counter()
    web.login(EMAILS["viewer"], "bad password 1")
    first = time.perf_counter() - t0
    t0 = time.perf_counter()
    web.login(EMAILS["viewer"], "bad password 2")
    second = time.perf_counter() - t0
    assert first >= 0.2 and second >= 0.4


def test_inactive_user_cannot_sign_in_and_is_signed_out(app, web, admin_users, engine):
    web.as_role("viewer")
    with Session(engine) as s:
        s.get(User, admin_users["viewer"].id).active = False
        s.commit()
    resp = web.client.get("/admin/")
    assert resp.status_code == 302 and "/admin/login" in resp.headers["Location"]
    assert web.login(EMAILS["viewer"]).status_code == 401


def test_csrf_is_required_on_every_form(as_auditor):
    resp = as_auditor.post(
        "/admin/recruiters/new", {"legal_name": "X Placement", "country": "NP"}, csrf=False
    )
    assert resp.status_code == 400
    resp = as_auditor.post("/admin/logout", csrf=False)
    assert resp.status_code == 400
    resp = as_auditor.client.post("/admin/login", data={"email": EMAILS["admin"], "password": PASSWORD})
    assert resp.status_code == 400


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
    resp = as_admin.post(
        "/admin/users",
        {"email": "short@example.org", "role": "viewer", "password": "short"},
        follow_redirects=True,
    )
    assert "at least 10" in flashes(resp)
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


def test_sign_in_attempts_are_rate_limited_per_address(app, web, admin_users):
    app.config["ADMIN_LOGIN_RATE_LIMIT"] = "3/minute"
    for left in (2, 1, 0):
        resp = web.login(EMAILS["viewer"], "wrong password!")
        assert resp.status_code == 401
        assert (resp.headers["X-RateLimit-Limit"], resp.headers["X-RateLimit-Remaining"]) == ("3", str(left))
    resp = web.login(EMAILS["viewer"])
    assert resp.status_code == 429 and "Too many sign-in attempts" in resp.get_data(as_text=True)
    assert resp.headers["X-RateLimit-Remaining"] == "0" and 0 <= int(resp.headers["Retry-After"]) <= 60
    assert "X-RateLimit-Limit" not in web.client.get("/admin/login").headers  # only sign-ins are counted
