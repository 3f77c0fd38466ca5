"""Fixtures for the admin panel: users of every role and a client that signs in and sends CSRF tokens."""

from __future__ import annotations

import re

import pytest
from sqlmodel import Session

from registry.services import auditlog
from registry.services import users as user_service

PASSWORD = "correct horse battery"
EMAILS = {"admin": "admin@example.org", "auditor": "auditor@example.org", "viewer": "viewer@example.org"}
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@pytest.fixture
def admin_users(engine):
    with Session(engine, expire_on_commit=False) as s:
        auditlog.set_actor(s, "test")
        users = {
            role: user_service.create(s, email=email, role=role, password=PASSWORD)
            for role, email in EMAILS.items()
        }
        s.commit()
    return users


@pytest.fixture
def settings(settings):
    settings.login_failure_delay_seconds = 0
    return settings


class AdminClient:
    """A test client that remembers the CSRF token of the last page and signs in like a browser."""

    def __init__(self, client):
        self.client = client
        self.token = None

    def get(self, url, **kw):
        resp = self.client.get(url, **kw)
        m = _CSRF.search(resp.get_data(as_text=True)) if resp.mimetype == "text/html" else None
        if m:
            self.token = m.group(1)
        return resp

    def post(self, url, data=None, *, csrf=True, **kw):
        data = dict(data or {})
        if csrf:
            if self.token is None:
                self.get("/admin/login")
            data.setdefault("csrf_token", self.token)
        resp = self.client.post(url, data=data, **kw)
        m = _CSRF.search(resp.get_data(as_text=True))
        if m:
            self.token = m.group(1)
        return resp

    def login(self, email, password=PASSWORD):
        self.get("/admin/login")
        return self.post("/admin/login", {"email": email, "password": password})

    def as_role(self, role):
        resp = self.login(EMAILS[role])
        assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
        return self


@pytest.fixture
def web(client):
    return AdminClient(client)


@pytest.fixture
def as_admin(web, admin_users):
    return web.as_role("admin")


@pytest.fixture
def as_auditor(web, admin_users):
    return web.as_role("auditor")


@pytest.fixture
def as_viewer(web, admin_users):
    return web.as_role("viewer")


def flashes(resp) -> str:
    """The text of the flash messages on a page."""
    html = resp.get_data(as_text=True)
    return " | ".join(
        re.sub(r"<[^>]+>", "", m) for m in re.findall(r'<div class="flash flash-\w+">(.*?)</div>', html, re.S)
    )


@pytest.fixture(autouse=True)
def _fast_argon2(monkeypatch):
    """Cheap argon2id parameters in tests (the production parameters cost ~100 ms per hash by design)."""
    from argon2 import PasswordHasher

    monkeypatch.setattr(user_service, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
