"""/healthz and /readyz are answered in front of Flask's request machinery (registry.web.health's
HealthMiddleware): the same answers and headers as before, without the cookie session, CSRF or language
hooks, one connection per process, and every other request still reaches the application."""

from __future__ import annotations

from registry import db
from registry.extensions import SECURITY_HEADERS
from registry.web import health


def test_health_answers_carry_the_security_headers_and_set_no_cookie(client):
    page = client.get("/")
    for path in ("/healthz", "/readyz", "/healthz?lang=ne"):
        resp = client.get(path)
        assert resp.status_code == 200, path
        assert resp.get_json()["database"] == "ok"
        assert resp.headers["Cache-Control"] == "no-store"
        assert resp.headers["Content-Type"] == "application/json"
        for name, value in SECURITY_HEADERS:
            assert resp.headers[name] == value == page.headers[name], (path, name)
        assert "Set-Cookie" not in resp.headers and "Vary" not in resp.headers, path
        assert int(resp.headers["Content-Length"]) == len(resp.get_data())


def test_head_has_the_headers_and_no_body(client):
    get, head = client.get("/healthz"), client.head("/healthz")
    assert head.status_code == 200 and head.get_data() == b""
    assert head.headers["Content-Length"] == get.headers["Content-Length"]
    assert head.headers["Content-Security-Policy"] == get.headers["Content-Security-Policy"]


def test_other_methods_and_paths_reach_the_application(client):
    assert client.post("/healthz").status_code == 405  # Flask's answer: the URL exists, GET only
    assert client.get("/healthz/").status_code == 404
    assert client.get("/").status_code == 200


def test_the_flask_view_gives_the_same_answer(app, client):
    """The blueprint's views (kept for url_for) answer as the middleware does."""
    with app.test_request_context("/healthz"):
        from flask import url_for

        assert url_for("health.healthz") == "/healthz"
        assert url_for("health.readyz") == "/readyz"
        view = health._view("healthz")
    direct = client.get("/healthz")
    assert view.status_code == direct.status_code == 200
    assert view.get_json() == direct.get_json()
    assert view.headers["Cache-Control"] == direct.headers["Cache-Control"] == "no-store"


def test_each_check_runs_a_query_on_one_reused_connection(client, engine, monkeypatch):
    """Every check asks the database (nothing remembered between checks), on this thread's one driver
    connection: a hundred checks open no more."""
    asked: list[str] = []
    real_first = db.DriverReads.first

    def first(self, stmt, params=None):
        row = real_first(self, stmt, params)
        asked.append(f"{stmt} -> {row}")
        return row

    monkeypatch.setattr(db.DriverReads, "first", first)
    client.get("/healthz")
    opened = db._connections(engine).open_connections()
    for _ in range(100):
        assert client.get("/healthz").status_code == 200
    assert asked[1:] == ["SELECT 1 -> (1,)"] * 100
    assert db._connections(engine).open_connections() == opened >= 1  # (other threads may hold theirs)
