"""GET /api/v1/recruiters/{id} in front of Flask (registry.api.fast): the same answer as the view, every
other request handed to Flask, each request counted once against the key's budget."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlmodel import Session
from werkzeug.test import EnvironBuilder, run_wsgi_app

from registry import create_app
from registry.api.fast import DetailFastPath
from registry.db import make_engine
from registry.models import ApiKey
from registry.timeutil import utcnow
from tests.functional.workers.conftest import free_port

from .test_auth import assert_problem


class Counted:
    """Flask's side of the fast path, counting the requests handed to it."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app
        self.calls = 0

    def __call__(self, environ, start_response):
        self.calls += 1
        return self.wsgi_app(environ, start_response)


def fast_path(app) -> DetailFastPath:
    layer = app.wsgi_app
    while not isinstance(layer, DetailFastPath):
        layer = layer.wsgi_app
    return layer


def counted_app(settings, engine, **changes):
    app = create_app(settings.model_copy(update=changes), engine=engine)
    app.config.update(TESTING=True)
    fast = fast_path(app)
    flask_side = fast.wsgi_app = Counted(fast.wsgi_app)
    return app, fast, flask_side


def answer(wsgi, path: str, headers: dict, method: str = "GET"):
    environ = EnvironBuilder(path=path, headers=headers, method=method).get_environ()
    body, status, got = run_wsgi_app(wsgi, environ, buffered=True)
    return status, list(got.items()), b"".join(body)


@pytest.mark.parametrize("cache_seconds", [0, 30])
def test_the_fast_answer_is_the_views_answer(settings, engine, auth, world, cache_seconds):
    app, fast, flask_side = counted_app(settings, engine, api_cache_seconds=cache_seconds)
    ids = [world.accredited.public_id, world.suspended.public_id, world.applicant.public_id]
    ids.append(world.suspended.public_id.lower())
    for public_id in ids:
        path = f"/api/v1/recruiters/{public_id}"
        for _ in range(2):  # the second from the process's memory when it keeps answers
            fast_answer = answer(fast, path, auth)
            assert flask_side.calls == 0, "the plain request must be answered in front of Flask"
            assert fast_answer == answer(flask_side.wsgi_app, path, auth)
            assert fast_answer[0] == "200 OK"
    suspended = answer(fast, f"/api/v1/recruiters/{world.suspended.public_id}", auth)[2]
    assert b'"status":"suspended"' in suspended and b'"open_major_findings":1' in suspended


def test_every_other_request_goes_to_flask(settings, engine, keys, key, auth, world):
    app, fast, flask_side = counted_app(settings, engine)
    pid = world.accredited.public_id
    no_read = keys.headers(keys.make("Hooks Only Buyer", scopes=("webhooks",)))
    revoked = keys.make("Revoked Buyer")
    with Session(engine) as s:
        s.scalars(select(ApiKey).where(ApiKey.prefix == revoked.split("_")[2])).one().revoked_at = utcnow()
        s.commit()
    cases = [
        (f"/api/v1/recruiters/{pid}", {}, "GET", 401),
        (f"/api/v1/recruiters/{pid}", {"Authorization": f"Basic {key}"}, "GET", 401),
        (f"/api/v1/recruiters/{pid}", {"Authorization": "Bearer fr_live_abcdef12_nope"}, "GET", 401),
        (f"/api/v1/recruiters/{pid}", keys.headers(revoked), "GET", 401),
        (f"/api/v1/recruiters/{pid}", no_read, "GET", 403),
        ("/api/v1/recruiters/RA-NOPE2", auth, "GET", 404),
        (f"/api/v1/recruiters/{pid[:2]}%20{pid[3:]}", auth, "GET", 200),  # typed with a space
        (f"/api/v1/recruiters/{pid}?at=2020-01-01T00:00:00Z", auth, "GET", 200),
        (f"/api/v1/recruiters/{pid}?colour=red", auth, "GET", 422),
        (f"/api/v1/recruiters/{pid}", auth, "HEAD", 200),
        (f"/api/v1/recruiters/{pid}/", auth, "GET", 404),
        ("/api/v1/recruiters/RA-७K3Q9", auth, "GET", 404),
    ]
    for n, (path, headers, method, status) in enumerate(cases, start=1):
        got = app.test_client().open(path, headers=headers, method=method)
        assert got.status_code == status, (path, got.get_data(as_text=True))
        assert flask_side.calls == n, f"{method} {path} was not handed to Flask"
        if status != 200:
            assert_problem(got, status)


def test_each_request_is_counted_once(settings, engine, keys, world):
    app, fast, flask_side = counted_app(
        settings, engine, api_rate_limit="3/minute", ratelimit_storage_uri="memory://"
    )
    client = app.test_client()
    headers = keys.headers(keys.make("Counted Buyer"))
    assert_problem(client.get("/api/v1/recruiters/RA-NOPE2", headers=headers), 404)  # Flask counts it
    assert flask_side.calls == 1
    path = f"/api/v1/recruiters/{world.accredited.public_id}"
    assert [client.get(path, headers=headers).status_code for _ in range(2)] == [200, 200]
    over = client.get(path, headers=headers)
    body = assert_problem(over, 429)
    assert over.headers["X-RateLimit-Limit"] == "3" and over.headers["X-RateLimit-Remaining"] == "0"
    assert body["retry_after"] == int(over.headers["Retry-After"]) >= 1
    assert flask_side.calls == 1, "the 200s and the 429 are answered in front of Flask"
    # the security headers wrap the fast answers too
    assert over.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get(path, headers=headers).headers["X-Content-Type-Options"] == "nosniff"


def test_the_first_use_of_a_key_is_recorded(settings, engine, keys, world):
    app, fast, flask_side = counted_app(settings, engine)
    key = keys.make("New Buyer")
    resp = app.test_client().get(
        f"/api/v1/recruiters/{world.accredited.public_id}", headers=keys.headers(key)
    )
    assert resp.status_code == 200 and flask_side.calls == 0
    with Session(engine) as s:
        used = s.scalars(select(ApiKey).where(ApiKey.prefix == key.split("_")[2])).one().last_used_at
    assert used is not None


def test_an_unreachable_database_is_503_from_the_fast_path(settings, engine, caplog):
    dead = make_engine(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/nowhere")
    app = create_app(settings, engine=dead)
    app.config.update(TESTING=True)
    fast = fast_path(app)
    flask_side = fast.wsgi_app = Counted(fast.wsgi_app)
    try:
        token = "fr_live_abcdef12_secretpart"
        resp = app.test_client().get(
            "/api/v1/recruiters/RA-7K3Q9", headers={"Authorization": f"Bearer {token}"}
        )
        body = assert_problem(resp, 503)
        assert body["retry_after"] == int(resp.headers["Retry-After"]) and flask_side.calls == 0
        assert "GET /api/v1/recruiters/RA-7K3Q9" in caplog.text and token not in caplog.text
    finally:
        dead.dispose()


def test_a_failure_after_counting_is_a_logged_500_problem(settings, engine, auth, world, monkeypatch, caplog):
    import registry.api.fast as api_fast

    app, fast, flask_side = counted_app(settings, engine)

    def broken(*_args):
        raise RuntimeError("storage answered nonsense")

    monkeypatch.setattr(api_fast, "count_request", broken)
    resp = app.test_client().get(f"/api/v1/recruiters/{world.accredited.public_id}", headers=auth)
    body = assert_problem(resp, 500)
    assert "logged" in body["detail"] and flask_side.calls == 0
    assert "API request failed" in caplog.text and "storage answered nonsense" in caplog.text
