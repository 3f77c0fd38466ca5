"""Bearer keys: hashed, looked up by prefix, scoped, revocable; per-key rate limit with 429 + Retry-After."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session

from registry import create_app
from registry.models import ApiKey
from registry.services import companies
from tests.conftest import redis_db

PROBLEM = "application/problem+json"


def assert_problem(resp, status: int) -> dict:
    assert resp.status_code == status, resp.get_data(as_text=True)
    assert resp.mimetype == PROBLEM
    body = resp.get_json(force=True)
    assert body["status"] == status
    assert body["type"].startswith("https://") and body["title"] and body["detail"]
    return body


def test_no_key_is_401_with_challenge(client, world):
    resp = client.get("/api/v1/recruiters")
    assert_problem(resp, 401)
    assert resp.headers["WWW-Authenticate"].startswith("Bearer")


def test_bad_keys_are_401(client, key):
    for header in (
        "Basic abc",
        "Bearer",
        "Bearer fr_live_deadbeef_nope",
        "Bearer somethingelse",
        f"Token {key}",
    ):
        assert_problem(client.get("/api/v1/recruiters", headers={"Authorization": header}), 401)


def test_key_is_stored_hashed_and_found_by_prefix(engine, key, client, auth):
    prefix = key.split("_")[2]
    with Session(engine) as s:
        row = s.scalars(select(ApiKey).where(ApiKey.prefix == prefix)).one()
        assert row.key_hash != key and key not in row.key_hash
        assert row.last_used_at is None
    # a key with the right prefix but a wrong secret is refused
    forged = key[:-4] + ("AAAA" if not key.endswith("AAAA") else "BBBB")
    assert_problem(client.get("/api/v1/webhooks", headers={"Authorization": f"Bearer {forged}"}), 401)
    assert client.get("/api/v1/webhooks", headers=auth).status_code == 200
    with Session(engine) as s:
        assert s.scalars(select(ApiKey).where(ApiKey.prefix == prefix)).one().last_used_at is not None


def test_revoked_key_stops_working_at_once(engine, key, client, auth):
    assert client.get("/api/v1/webhooks", headers=auth).status_code == 200
    with Session(engine) as s:
        companies.revoke_by_prefix(s, key.split("_")[2])
        s.commit()
    body = assert_problem(client.get("/api/v1/webhooks", headers=auth), 401)
    assert "revoked" in body["detail"]


def test_scopes_are_enforced_with_403(client, keys, world):
    read_only = keys.headers(keys.make("Read Only Buyer", scopes=("read",)))
    assert client.get("/api/v1/recruiters", headers=read_only).status_code == 200
    body = assert_problem(client.get("/api/v1/suppliers", headers=read_only), 403)
    assert body["required_scope"] == "suppliers"
    assert_problem(
        client.post("/api/v1/webhooks", headers=read_only, json={"url": "https://hooks.example.com/x"}), 403
    )
    hooks_only = keys.headers(keys.make("Hooks Only Buyer", scopes=("webhooks",)))
    assert_problem(client.get("/api/v1/recruiters", headers=hooks_only), 403)
    assert client.get("/api/v1/webhooks", headers=hooks_only).status_code == 200


def _limited_app(settings, engine, storage: str, limit: str = "3/minute"):
    app = create_app(
        settings.model_copy(update={"api_rate_limit": limit, "ratelimit_storage_uri": storage}), engine=engine
    )
    app.config.update(TESTING=True)
    return app


def test_rate_limit_per_key_429_with_retry_after(settings, engine, keys, world):
    app = _limited_app(settings, engine, "memory://")
    client = app.test_client()
    first, second = keys.headers(keys.make("First Buyer")), keys.headers(keys.make("Second Buyer"))
    for _ in range(3):
        resp = client.get("/api/v1/recruiters", headers=first)
        assert resp.status_code == 200
    resp = client.get("/api/v1/recruiters/RA-NOPE2", headers=first)  # the limit covers the whole API
    body = assert_problem(resp, 429)
    assert 1 <= int(resp.headers["Retry-After"]) <= 60
    assert resp.headers["X-RateLimit-Limit"] == "3" and resp.headers["X-RateLimit-Remaining"] == "0"
    assert body["retry_after"] >= 1
    # another key has its own budget
    assert client.get("/api/v1/recruiters", headers=second).status_code == 200
    # requests without a valid key do not use up anyone's budget: still 401, not 429
    assert client.get("/api/v1/recruiters").status_code == 401


def test_rate_limit_in_redis_storage(settings, engine, keys, world, redis_url):
    url = redis_url.rsplit("/", 1)[0] + f"/{redis_db('limits')}"
    app = _limited_app(settings, engine, url, limit="2/minute")
    client = app.test_client()
    headers = keys.headers(keys.make("Redis Buyer"))
    assert [client.get("/api/v1/webhooks", headers=headers).status_code for _ in range(3)] == [200, 200, 429]
    import redis

    assert any(b"apikey" in k for k in redis.Redis.from_url(url).keys("*"))


def test_a_change_records_key_use_in_its_own_transaction(engine, key, client, auth, world):
    from registry.models import AuditLogEntry

    prefix = key.split("_")[2]
    resp = client.post(f"/api/v1/suppliers/{world.accredited.public_id}", headers=auth)
    assert resp.status_code == 201
    with Session(engine) as s:
        assert s.scalars(select(ApiKey).where(ApiKey.prefix == prefix)).one().last_used_at is not None
        # use of a key is bookkeeping, not an audited change
        assert not s.scalars(
            select(AuditLogEntry).where(AuditLogEntry.entity == "api_key", AuditLogEntry.action == "update")
        ).all()
    # a refused change records nothing either way, and the key keeps working
    assert client.post("/api/v1/suppliers/RA-ZZZZZ", headers=auth).status_code == 404


def test_lease_sizes():
    from registry.api.core import LEASE_MAX, lease_size

    assert [lease_size(n) for n in (1, 3, 199, 200, 600, 1000, 10**8)] == [1, 1, 1, 2, 6, 10, LEASE_MAX]


def test_a_large_budget_is_taken_in_leases_and_never_exceeded(settings, engine, keys, world, redis_url):
    """Two web processes (two apps) share one Redis counter; each takes 10 requests of a 1000/minute
    budget at a time. Together they serve at most the budget, and lose at most one unfinished lease each."""
    import redis

    url = redis_url.rsplit("/", 1)[0] + f"/{redis_db('limits')}"
    first, second = (_limited_app(settings, engine, url, limit="1000/minute").test_client() for _ in range(2))
    headers = keys.headers(keys.make("Lease Buyer"))
    statuses = [
        (first if i % 3 else second).get("/api/v1/webhooks", headers=headers).status_code for i in range(1100)
    ]
    served = statuses.count(200)
    assert statuses.count(429) == 1100 - served
    assert 1000 - 2 * 9 <= served <= 1000
    # after the first refusal only what the two processes already hold is served: no new lease is handed out
    assert statuses[statuses.index(429) :].count(200) <= 2 * 9
    counters = [
        k for k in redis.Redis.from_url(url).keys("*") if headers["Authorization"].split("_")[2].encode() in k
    ]
    assert counters, "the shared counter lives in Redis"
    last = first.get("/api/v1/webhooks", headers=headers)
    assert last.status_code == 429 and 1 <= int(last.headers["Retry-After"]) <= 60
