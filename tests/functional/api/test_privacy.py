"""No worker identity leaves the registry through the API or webhooks.

The `app` fixture of this folder records every response body each API test produces (and every
queued webhook payload) and fails the test if any reporter key, report free text or chat id stored
in the database appears in them. The tests here make sure that guard has something to look at and
that it would notice a leak.
"""

from __future__ import annotations

import json

from sqlmodel import Session, select

from registry.models import FeeReport
from tests.functional.api.conftest import SEEN, identities, leaks_in


def test_every_endpoint_with_reports_present_leaks_nothing(app, client, auth, world, engine):
    pid = world.suspended.public_id
    client.put("/api/v1/suppliers", headers=auth, json={"ids": [pid, world.accredited.public_id]})
    hook = client.post(
        "/api/v1/webhooks", headers=auth, json={"url": "https://hooks.example.com/p"}
    ).get_json()
    client.post(f"/api/v1/webhooks/{hook['id']}/test", headers=auth)
    for url in (
        "/api/v1/recruiters",
        f"/api/v1/recruiters?q={pid}",
        f"/api/v1/recruiters/{pid}",
        f"/api/v1/recruiters/{pid}?at=2030-01-01T00:00:00Z",
        f"/api/v1/recruiters/{pid}/fee-stats",
        "/api/v1/suppliers",
        "/api/v1/suppliers/report",
        "/api/v1/suppliers/report?format=csv",
        "/api/v1/webhooks",
        "/api/v1/openapi.json",
        "/api/docs",
    ):
        assert client.get(url, headers=auth).status_code == 200, url
    client.post("/api/v1/recruiters/verify", headers=auth, json={"ids": [pid]})
    client.post(
        "/api/v1/recruiters/verify",
        headers=auth,
        json={"licences": [{"country": "NP", "number": "NP-2002/78"}]},
    )
    bodies = app.extensions["test.bodies"]
    assert len(bodies) >= 15
    secrets_ = identities(engine)
    # the fixture data really holds identities: 9 reporter keys, 9 free texts, 10 chat ids
    assert set(world.reporter_keys) | set(world.free_texts) | {str(c) for c in world.chat_ids} <= secrets_
    assert leaks_in(bodies, secrets_) == []
    # the reports themselves are what the aggregates were made from
    with Session(engine) as s:
        assert len(s.exec(select(FeeReport)).all()) == 9


def test_the_guard_notices_a_leak(world, engine):
    secrets_ = identities(engine)
    planted = json.dumps({"note": world.free_texts[3]}, ensure_ascii=True).encode()
    assert world.free_texts[3] in leaks_in([b'{"ok": true}', planted], secrets_)
    assert leaks_in([f"chat {world.chat_ids[-1]}".encode()], secrets_) == [str(world.chat_ids[-1])]
    assert leaks_in([world.reporter_keys[0].encode()], secrets_) == [world.reporter_keys[0]]


def test_the_suite_saw_responses():
    # Runs after the tests above in this module at least; each API test feeds the guard.
    assert SEEN["bodies"] > 0
