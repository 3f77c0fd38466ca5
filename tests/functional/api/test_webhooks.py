"""Webhook endpoints: create (secret shown once), list, delete, test delivery through the outbox."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session

from registry.models import OutboxMessage, WebhookEndpoint
from registry.services import accreditation, auditlog
from tests.functional.api.test_auth import assert_problem

URL = "https://hooks.example.com/fairrecruit"


def test_create_list_delete(client, auth, engine):
    resp = client.post(
        "/api/v1/webhooks", headers=auth, json={"url": URL, "events": ["recruiter.status_changed"]}
    )
    assert resp.status_code == 201
    created = resp.get_json()
    assert created["secret"].startswith("whsec_") and created["events"] == ["recruiter.status_changed"]
    assert resp.headers["Location"].endswith(f"/webhooks/{created['id']}")
    listed = client.get("/api/v1/webhooks", headers=auth)
    assert listed.status_code == 200
    assert [w["id"] for w in listed.get_json()["items"]] == [created["id"]]
    assert created["secret"] not in listed.get_data(as_text=True)
    with Session(engine) as s:
        assert s.get(WebhookEndpoint, created["id"]).secret == created["secret"]
    default = client.post("/api/v1/webhooks", headers=auth, json={"url": URL + "/all"}).get_json()
    assert len(default["events"]) == 3
    assert client.delete(f"/api/v1/webhooks/{created['id']}", headers=auth).status_code == 204
    assert_problem(client.delete(f"/api/v1/webhooks/{created['id']}", headers=auth), 404)
    assert [w["id"] for w in client.get("/api/v1/webhooks", headers=auth).get_json()["items"]] == [
        default["id"]
    ]


def test_conflicts_and_validation(client, auth, keys):
    assert client.post("/api/v1/webhooks", headers=auth, json={"url": URL}).status_code == 201
    body = assert_problem(client.post("/api/v1/webhooks", headers=auth, json={"url": URL}), 409)
    assert URL in body["detail"] and body["code"] == "webhook_exists"
    body = assert_problem(
        client.post(
            "/api/v1/webhooks", headers=auth, json={"url": "ftp://x.example", "events": ["recruiter.eaten"]}
        ),
        422,
    )
    assert {e["field"] for e in body["errors"]} == {"url", "events.0"}
    assert_problem(client.post("/api/v1/webhooks", headers=auth, json={"url": URL, "colour": "red"}), 422)
    assert_problem(client.post("/api/v1/webhooks", headers=auth, json={"url": URL + "/2", "events": []}), 422)
    # another company cannot see or delete it
    other = keys.headers(keys.make("Another Buyer"))
    assert client.get("/api/v1/webhooks", headers=other).get_json()["items"] == []
    hook_id = client.get("/api/v1/webhooks", headers=auth).get_json()["items"][0]["id"]
    assert_problem(client.delete(f"/api/v1/webhooks/{hook_id}", headers=other), 404)
    assert_problem(client.post(f"/api/v1/webhooks/{hook_id}/test", headers=other), 404)
    assert_problem(client.delete("/api/v1/webhooks/99999999999", headers=auth), 404)


def test_test_delivery_is_queued_in_the_outbox(client, auth, engine):
    hook = client.post("/api/v1/webhooks", headers=auth, json={"url": URL}).get_json()
    resp = client.post(f"/api/v1/webhooks/{hook['id']}/test", headers=auth)
    assert resp.status_code == 202
    queued = resp.get_json()
    with Session(engine) as s:
        msg = s.scalars(select(OutboxMessage).where(OutboxMessage.message_id == queued["message_id"])).one()
    assert msg.channel == "webhook" and msg.target_id == hook["id"] and msg.status == "pending"
    assert msg.event_type == "recruiter.status_changed" and msg.payload["data"]["test"] is True


def test_status_change_of_a_supplier_reaches_its_webhook(client, auth, engine, world):
    hook = client.post(
        "/api/v1/webhooks", headers=auth, json={"url": URL, "events": ["recruiter.status_changed"]}
    )
    client.post(f"/api/v1/suppliers/{world.accredited.public_id}", headers=auth)
    with Session(engine) as s:
        auditlog.set_actor(s, "test")
        rec = s.get(type(world.accredited), world.accredited.id)
        accreditation.decide(s, rec, "suspend", actor="test", reason="licence cancelled")
        s.commit()
        msgs = s.scalars(select(OutboxMessage).where(OutboxMessage.channel == "webhook")).all()
    assert [(m.target_id, m.payload["data"]["to"]) for m in msgs] == [(hook.get_json()["id"], "suspended")]


def test_production_accepts_only_public_https_urls(settings, engine, keys):
    from registry import create_app

    app = create_app(settings.model_copy(update={"env": "production"}), engine=engine)
    client = app.test_client()
    auth = keys.headers(keys.make("Production Buyer"))
    for url in (
        "http://hooks.example.com/x",
        "https://127.0.0.1/x",
        "https://10.1.2.3/x",
        "https://[::1]/x",
        "https://169.254.169.254/latest",
        "https://localhost:8443/x",
        "https://db.internal/x",
    ):
        body = assert_problem(client.post("/api/v1/webhooks", headers=auth, json={"url": url}), 422)
        assert body["errors"][0]["field"] == "url", url
        if url == "https://10.1.2.3/x":  # the registry's rule, with its code (the others: the document's)
            assert body["code"] == body["errors"][0]["type"] == "url_not_public", body
    assert (
        client.post("/api/v1/webhooks", headers=auth, json={"url": "https://hooks.example.com/x"}).status_code
        == 201
    )
