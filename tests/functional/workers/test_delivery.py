"""A status change made through the accreditation service ends as a signed HTTP POST at the company's
receiver, delivered by a real Celery worker (Redis + PostgreSQL, and SQLite broker + SQLite)."""

from __future__ import annotations

import json
import time

import pytest
from celery.contrib.testing.worker import start_worker
from sqlalchemy import select

from registry import notifications
from registry.db import session_scope
from registry.models import Follower, OutboxMessage, SupplierLink, WebhookEndpoint
from registry.services import accreditation, companies, delivery, outbox
from tests import factories
from tests.functional.workers.conftest import wait_for
from workers.app import create_celery

SECRET = "whsec_" + "k" * 32


def subscribed_recruiter(engine, url: str, *, followers: tuple = ()):
    """An accredited recruiter on a company's supplier list, the company having a webhook endpoint."""
    with session_scope(engine, write=True) as s:
        rec = factories.accredited(s)
        company, new = companies.get_or_create(s, "Harbour Garments Ltd")
        s.add(SupplierLink(company_id=company.id, recruiter_id=rec.id))
        if new:
            s.add(WebhookEndpoint(company_id=company.id, url=url, secret=SECRET))
        for chat in followers:
            chat_id, language = chat if isinstance(chat, tuple) else (chat, "en")
            s.add(Follower(chat_id=chat_id, recruiter_id=rec.id, language=language))
        return rec


def suspend(engine, rec, reason="overcharging workers"):
    with session_scope(engine, write=True) as s:
        accreditation.decide(s, s.merge(rec), "suspend", actor="officer@fairrecruit.test", reason=reason)


def messages(engine):
    with session_scope(engine) as s:
        return list(s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


@pytest.fixture
def celery_app(stack):
    settings, _engine = stack
    app = create_celery(settings)
    yield app
    outbox.set_commit_hook(None)
    app.dispose_engine()


def test_status_change_becomes_signed_webhook(stack, celery_app, receiver):
    settings, engine = stack
    settings.telegram_api_base_url = receiver.url.rsplit("/", 2)[0] + "/bot"
    rec = subscribed_recruiter(engine, receiver.url, followers=((777001, "ne"),))
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=15):
        suspend(engine, rec)
        wait_for(lambda: receiver.count() >= 2, 30, what="webhook and bot deliveries")
        wait_for(lambda: all(m.status == "delivered" for m in messages(engine)), 10, what="delivered status")

    hooks = [r for r in receiver.received if r["path"] == "/hooks/fairrecruit"]
    assert len(hooks) == 1
    hook = hooks[0]
    body = hook["body"].decode()
    sig = hook["headers"]["FairRecruit-Signature"]
    t, v1 = sig.split(",")
    assert t.startswith("t=") and v1.startswith("v1=")
    import hashlib
    import hmac

    expected = hmac.new(SECRET.encode(), f"{t[2:]}.{body}".encode(), hashlib.sha256).hexdigest()
    assert v1[3:] == expected
    assert abs(int(t[2:]) - time.time()) < 120
    assert delivery.verify_signature(SECRET, body, sig)
    assert not delivery.verify_signature("wrong-secret", body, sig)
    event = json.loads(body)
    assert set(event) == {"id", "type", "created_at", "data"}
    assert event["type"] == "recruiter.status_changed"
    assert event["data"]["recruiter"]["public_id"] == rec.public_id
    assert (event["data"]["from"], event["data"]["to"]) == ("accredited", "suspended")
    webhook_msg = [m for m in messages(engine) if m.channel == "webhook"][0]
    assert event["id"] == webhook_msg.message_id and webhook_msg.attempts == 1

    bots = [r for r in receiver.received if r["path"].endswith("/bot123:TEST/sendMessage")]
    assert len(bots) == 1
    sent = json.loads(bots[0]["body"])
    assert sent["chat_id"] == 777001 and rec.public_id in sent["text"]
    # in the follower's language, through the registry's catalogs
    bot_msg = [m for m in messages(engine) if m.channel == "bot"][0]
    assert sent["text"] == notifications.status_changed("ne", bot_msg.payload)
    assert "निलम्बित" in sent["text"]  # "suspended" in Nepali


def test_receiver_failing_twice_gets_the_event_once_delivered_and_never_again(stack, celery_app, receiver):
    settings, engine = stack
    rec = subscribed_recruiter(engine, receiver.url)
    receiver.script = [500, 500]
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=15):
        suspend(engine, rec)
        wait_for(lambda: messages(engine)[0].status == "delivered", 30, what="delivery after two failures")
        # the sweep and further dispatches find nothing more to send
        celery_app.send_task("workers.tasks.sweep_outbox")
        celery_app.send_task("workers.tasks.dispatch_outbox")
        time.sleep(1.5)
    assert [r["answered"] for r in receiver.received] == [500, 500, 200]
    ids = {json.loads(r["body"])["id"] for r in receiver.received}
    assert len(ids) == 1  # the same stable id on every attempt
    (msg,) = messages(engine)
    assert msg.attempts == 3 and msg.status == "delivered" and msg.last_error is None
    assert ids == {msg.message_id}


def test_check_task_on_the_worker_suspends_and_the_companies_hear_of_it(stack, celery_app, receiver):
    from datetime import timedelta

    from registry.services import audits
    from registry.timeutil import today

    settings, engine = stack
    rec = subscribed_recruiter(engine, receiver.url)
    with session_scope(engine, write=True) as s:
        audit = factories.performed_audit(s, s.merge(rec), kind="surveillance")
        audits.add_finding(
            s, audit, principle="P2", severity="major", description="passports kept", due_date=today()
        )
    as_of = (today() + timedelta(days=1)).isoformat()
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=15):
        celery_app.send_task("workers.tasks.run_check", args=("overdue_corrective_actions", as_of))
        wait_for(lambda: receiver.count() >= 2, 60, what="status change and alert webhooks")
    with session_scope(engine) as s:
        assert accreditation.get(s, rec.id).status == "suspended"
        assert accreditation.history(s, rec.id)[-1].actor == "system:overdue_corrective_actions"
    types = sorted(json.loads(r["body"])["type"] for r in receiver.received)
    assert types == ["recruiter.alert_raised", "recruiter.status_changed"]
    for r in receiver.received:
        assert delivery.verify_signature(SECRET, r["body"], r["headers"]["FairRecruit-Signature"])
