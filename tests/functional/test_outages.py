"""Dependency outages degrade answers, never into a 500: Redis (a server of the test's own, stopped
mid-traffic) and a database that cannot be reached; /healthz and /readyz say which one is down."""

from __future__ import annotations

import collections
import logging
import re
import shutil
import time

import pytest

from registry import create_app
from registry.db import make_engine, session_scope
from registry.extensions import FallbackStorage
from registry.services import auditlog
from registry.services import users as user_service
from registry.settings import Settings
from tests.functional.api.conftest import Keys
from tests.functional.workers.conftest import RedisServer, free_port, wait_for

PASSWORD = "correct horse battery"
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@pytest.fixture
def own_redis(tmp_path):
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is not installed")
    srv = RedisServer(tmp_path)
    srv.start()
    yield srv
    srv.stop()


def outage_settings(tmp_path, engine, **kw) -> Settings:
    return Settings(
        env="test",
        var_dir=tmp_path / "var",
        database_url=engine.url.render_as_string(hide_password=False),
        secret_key="test-secret-key-0123456789",
        pseudonym_key="test-pseudonym-key-0123456789",
        **kw,
    )


def sign_in(client, email: str) -> int:
    page = client.get("/admin/login")
    assert page.status_code == 200
    token = _CSRF.search(page.get_data(as_text=True)).group(1)
    resp = client.post("/admin/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    if resp.status_code == 302:
        client.post("/admin/logout", data={"csrf_token": token})
    return resp.status_code


def test_redis_stopped_mid_traffic_gives_no_500(sqlite_engine, own_redis, tmp_path, caplog):
    engine = sqlite_engine
    keys = Keys(engine)
    key = keys.make()
    with session_scope(engine, write=True) as s:
        auditlog.set_actor(s, "test")
        user_service.create(s, email="admin@example.org", role="admin", password=PASSWORD)
    settings = outage_settings(
        tmp_path, engine, ratelimit_storage_uri=own_redis.url, api_rate_limit="100000/minute"
    )
    app = create_app(settings, engine=engine)
    app.config.update(TESTING=True, ADMIN_LOGIN_FAILURE_DELAY=0)
    storage: FallbackStorage = app.extensions["fairrecruit.rate_limit_storage"]
    storage.retry_seconds = 0.5  # try Redis again sooner than in production, to keep the test short
    client = app.test_client()
    statuses: collections.Counter[int] = collections.Counter()
    health: list[dict] = []

    def traffic(rounds: int) -> None:
        for _ in range(rounds):
            for resp in (
                client.get("/api/v1/recruiters", headers=keys.headers(key)),
                client.get("/api/v1/suppliers", headers=keys.headers(key)),
            ):
                statuses[resp.status_code] += 1
            statuses[sign_in(client, "admin@example.org")] += 1
            statuses[client.get("/verify?q=sunrise").status_code] += 1

    caplog.set_level(logging.WARNING, logger="registry.extensions")
    traffic(5)
    assert not storage.degraded
    own_redis.stop()
    started = time.monotonic()
    traffic(10)
    outage_seconds = time.monotonic() - started
    assert storage.degraded
    health.append(client.get("/healthz").get_json())
    assert client.get("/healthz").status_code == 200
    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.headers["Retry-After"]
    own_redis.start()
    wait_for(lambda: (traffic(1), not storage.degraded)[1], 10, what="rate limits back on Redis")
    traffic(5)
    assert statuses[500] == 0, statuses
    assert set(statuses) <= {200, 302}, statuses  # every request answered as if nothing had happened
    assert health[0] == {"status": "degraded", "database": "ok", "redis": "down", "broker": "embedded"}
    time.sleep(1.1)  # the health probes are cached for a second
    assert client.get("/readyz").get_json()["redis"] == "ok"
    # counted in Redis again once it answered
    import redis

    assert redis.Redis.from_url(own_redis.url).keys("LIMITS*")
    # one warning when the outage started and one when it ended, not one per request
    messages = [r.getMessage() for r in caplog.records if r.name == "registry.extensions"]
    assert sum("unreachable" in m for m in messages) == 1, messages
    assert sum("answers again" in m for m in messages) == 1, messages
    assert outage_seconds < 20  # ten rounds of traffic: none waited a connect timeout


def test_limits_hold_in_process_memory_while_redis_is_down(sqlite_engine, own_redis, tmp_path):
    engine = sqlite_engine
    keys = Keys(engine)
    key = keys.make()
    settings = outage_settings(
        tmp_path, engine, ratelimit_storage_uri=own_redis.url, api_rate_limit="5/minute"
    )
    app = create_app(settings, engine=engine)
    app.config.update(TESTING=True)
    client = app.test_client()
    own_redis.stop()
    answers = [client.get("/api/v1/webhooks", headers=keys.headers(key)) for _ in range(7)]
    assert [r.status_code for r in answers] == [200] * 5 + [429] * 2
    assert int(answers[-1].headers["Retry-After"]) >= 1


def test_fallback_storage_counts_in_memory_and_returns_by_itself(own_redis):
    from limits import parse
    from limits.strategies import FixedWindowRateLimiter

    from registry.extensions import make_rate_limit_storage

    storage = make_rate_limit_storage(own_redis.url)
    assert isinstance(storage, FallbackStorage)
    storage.retry_seconds = 0.3
    limiter = FixedWindowRateLimiter(storage)
    item = parse("3/minute")
    assert limiter.hit(item, "a") and storage.check()
    own_redis.stop()
    started = time.monotonic()
    assert [limiter.hit(item, "b") for _ in range(4)] == [True, True, True, False]
    assert time.monotonic() - started < 2  # the first failure costs a connection attempt, no more
    assert storage.degraded and not storage.check()
    own_redis.start()
    time.sleep(0.35)
    assert limiter.hit(item, "c") and not storage.degraded
    assert storage.primary.get(item.key_for("c")) == 1  # counted in Redis again


def test_unreachable_database_answers_503_never_500(tmp_path, sqlite_engine):
    dead = make_engine(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/nowhere")
    settings = outage_settings(tmp_path, sqlite_engine)
    app = create_app(settings, engine=dead)
    app.config.update(TESTING=True)
    client = app.test_client()
    try:
        api = client.get("/api/v1/recruiters", headers={"Authorization": "Bearer fr_live_abcdef12_secret"})
        assert api.status_code == 503 and api.mimetype == "application/problem+json"
        body = api.get_json()
        assert body["type"].endswith("/unavailable") and body["retry_after"] == int(
            api.headers["Retry-After"]
        )
        page = client.get("/verify?q=sunrise", headers={"Accept-Language": "ne"})
        assert page.status_code == 503 and int(page.headers["Retry-After"]) > 0
        assert "रेकर्डमा पुग्न सकिएन" in page.get_data(as_text=True)
        login = client.get("/admin/login")
        token = _CSRF.search(login.get_data(as_text=True)).group(1)
        resp = client.post(
            "/admin/login", data={"email": "a@example.org", "password": "x", "csrf_token": token}
        )
        assert resp.status_code == 503
        health = client.get("/healthz")
        assert health.status_code == 503 and health.get_json()["database"] == "down"
        assert client.get("/readyz").status_code == 503
    finally:
        dead.dispose()


def test_health_reports_each_dependency(client):
    resp = client.get("/healthz")
    assert resp.status_code == 200 and resp.headers["Cache-Control"] == "no-store"
    assert resp.get_json() == {
        "status": "ok",
        "database": "ok",
        "redis": "not_configured",
        "broker": "embedded",
    }
    assert client.get("/readyz").status_code == 200


def test_health_sees_a_redis_broker_go_down(tmp_path, sqlite_engine, own_redis):
    settings = outage_settings(
        tmp_path, sqlite_engine, broker_url=own_redis.url, ratelimit_storage_uri=own_redis.url
    )
    app = create_app(settings, engine=sqlite_engine)
    client = app.test_client()
    assert client.get("/readyz").get_json()["broker"] == "ok"
    own_redis.stop()
    time.sleep(1.05)
    started = time.monotonic()
    body = client.get("/healthz").get_json()
    assert time.monotonic() - started < 2.5  # short timeouts: a dead dependency never hangs the check
    assert body == {"status": "degraded", "database": "ok", "redis": "down", "broker": "down"}
    started = time.monotonic()
    for _ in range(20):  # answered from the cached probe: no further connection attempts
        client.get("/healthz")
    assert time.monotonic() - started < 1.0
