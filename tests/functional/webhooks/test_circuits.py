"""A failing endpoint: its circuit opens after a few failures in a row (its messages wait, no more
requests), admins get one alert for it (not one per message), a success closes the circuit; an endpoint
failing for days is disabled with an alert; an admin can deliver a dead message again (audit-logged)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlmodel import Session

from registry.db import session_scope
from registry.models import Alert, AuditLogEntry, DeliveryCircuit, OutboxMessage, WebhookEndpoint
from registry.services import companies, delivery
from registry.timeutil import utcnow
from tests.functional.admin.conftest import flashes


def endpoint_with_messages(engine, url: str, n: int) -> tuple[int, int]:
    with session_scope(engine, write=True) as s:
        company, _ = companies.get_or_create(s, "Harbour Garments Ltd")
        endpoint = companies.create_webhook(s, company, url=url, allow_private=True).endpoint
        for _ in range(n):
            companies.send_test_event(s, company.id, endpoint.id)
        return company.id, endpoint.id


def open_alerts(engine) -> list[Alert]:
    with Session(engine) as s:
        return list(s.scalars(select(Alert).where(Alert.resolved_at.is_(None))))


def test_the_circuit_opens_holds_the_endpoints_messages_and_closes_on_success(settings, engine, receiver):
    settings = settings.model_copy(update={"webhook_allow_private": True, "webhook_circuit_failures": 3})
    receiver.script = [500] * 100
    _, endpoint_id = endpoint_with_messages(engine, receiver.url, 10)
    delivery.dispatch_due(engine, settings)
    assert receiver.count() == 3  # then the circuit opened: the other seven were not tried
    with Session(engine) as s:
        circuit = s.get(DeliveryCircuit, f"webhook:{endpoint_id}")
        assert circuit.open_until is not None and circuit.opened == 1
        pending = s.scalars(select(OutboxMessage)).all()
        assert all(m.status == "pending" and m.next_attempt_at >= circuit.open_until for m in pending)
    (alert,) = open_alerts(engine)
    assert alert.kind == "delivery_failing" and alert.details["webhook_id"] == endpoint_id
    with session_scope(engine, write=True) as s:  # queued after the circuit opened: it waits too
        companies.send_test_event(s, s.get(WebhookEndpoint, endpoint_id).company_id, endpoint_id)
    result = delivery.dispatch_due(engine, settings)
    assert receiver.count() == 3  # still open: nothing tried
    assert result.next_due_in is not None and result.next_due_in > 1  # no dispatch again at once

    # The receiver recovers and the circuit's time is up: everything goes out, the alert resolves.
    receiver.script = []
    with session_scope(engine, write=True) as s:
        s.get(DeliveryCircuit, f"webhook:{endpoint_id}").open_until = utcnow() - timedelta(seconds=1)
        for m in s.scalars(select(OutboxMessage)):
            m.next_attempt_at = utcnow() - timedelta(seconds=1)
    result = delivery.dispatch_due(engine, settings)
    assert result.delivered == 11
    assert open_alerts(engine) == []
    with Session(engine) as s:
        circuit = s.get(DeliveryCircuit, f"webhook:{endpoint_id}")
        assert circuit.failures == 0 and circuit.open_until is None and circuit.failing_since is None


def test_many_dead_messages_of_one_endpoint_raise_one_alert(settings, engine, receiver):
    settings = settings.model_copy(
        update={
            "webhook_allow_private": True,
            "webhook_circuit_failures": 1000,
            "webhook_max_backoff_seconds": 0,
        }
    )
    receiver.script = [500] * 100
    endpoint_with_messages(engine, receiver.url, 6)
    result = delivery.dispatch_due(engine, settings)
    assert result.dead == 6
    (alert,) = open_alerts(engine)
    assert alert.kind == "delivery_dead"


def test_an_endpoint_failing_for_days_is_disabled_with_an_alert(settings, engine, receiver):
    settings = settings.model_copy(update={"webhook_allow_private": True, "webhook_disable_after_days": 7})
    receiver.script = [500] * 10
    _, endpoint_id = endpoint_with_messages(engine, receiver.url, 1)
    with session_scope(engine, write=True) as s:
        s.add(
            DeliveryCircuit(
                lane=f"webhook:{endpoint_id}", failures=1, failing_since=utcnow() - timedelta(days=8)
            )
        )
    delivery.dispatch_due(engine, settings)
    with Session(engine) as s:
        assert s.get(WebhookEndpoint, endpoint_id).active is False
        disabled = s.scalars(select(Alert).where(Alert.kind == "webhook_disabled")).one()
        assert disabled.details["webhook_id"] == endpoint_id and disabled.details["days"] == 7


def test_an_admin_enables_a_disabled_endpoint(settings, engine, receiver, as_admin):
    company_id, endpoint_id = endpoint_with_messages(engine, receiver.url, 0)
    with session_scope(engine, write=True) as s:
        s.get(WebhookEndpoint, endpoint_id).active = False
        s.add(DeliveryCircuit(lane=f"webhook:{endpoint_id}", failures=3, failing_since=utcnow()))
    page = as_admin.get(f"/admin/companies/{company_id}").get_data(as_text=True)
    assert "disabled" in page
    resp = as_admin.post(
        f"/admin/companies/{company_id}/webhooks/{endpoint_id}/enable", follow_redirects=True
    )
    assert "Webhook enabled" in flashes(resp)
    with Session(engine) as s:
        assert s.get(WebhookEndpoint, endpoint_id).active is True
        assert s.get(DeliveryCircuit, f"webhook:{endpoint_id}") is None
        entry = s.scalars(
            select(AuditLogEntry).where(
                AuditLogEntry.entity == "webhook_endpoint", AuditLogEntry.actor == "admin@example.org"
            )
        ).one()
        assert entry.action == "update" and '"active":[false,true]' in entry.data


def test_an_endpoint_failing_for_less_stays_active(settings, engine, receiver):
    settings = settings.model_copy(update={"webhook_allow_private": True, "webhook_disable_after_days": 7})
    receiver.script = [500] * 10
    _, endpoint_id = endpoint_with_messages(engine, receiver.url, 1)
    with session_scope(engine, write=True) as s:
        s.add(
            DeliveryCircuit(
                lane=f"webhook:{endpoint_id}", failures=1, failing_since=utcnow() - timedelta(days=6)
            )
        )
    delivery.dispatch_due(engine, settings)
    with Session(engine) as s:
        assert s.get(WebhookEndpoint, endpoint_id).active is True


def test_an_admin_delivers_a_dead_message_again(settings, engine, receiver, as_admin):
    settings = settings.model_copy(update={"webhook_allow_private": True, "webhook_max_backoff_seconds": 0})
    receiver.script = [500]
    endpoint_with_messages(engine, receiver.url, 1)
    assert delivery.dispatch_due(engine, settings).dead == 1
    with Session(engine) as s:
        (msg,) = s.scalars(select(OutboxMessage)).all()
    page = as_admin.get("/admin/deliveries?status=dead").get_data(as_text=True)
    assert f"/admin/deliveries/{msg.id}/redeliver" in page
    resp = as_admin.post(f"/admin/deliveries/{msg.id}/redeliver", follow_redirects=True)
    assert "queued for delivery again" in flashes(resp)
    again = as_admin.post(f"/admin/deliveries/{msg.id}/redeliver", follow_redirects=True)
    assert "only a message that was given up" in flashes(again)  # pending now: nothing to do
    with Session(engine) as s:
        entry = s.scalars(select(AuditLogEntry).where(AuditLogEntry.action == "redeliver")).one()
        assert entry.actor == "admin@example.org" and entry.entity_id == str(msg.id)
    settings = settings.model_copy(update={"webhook_max_backoff_seconds": 3600})
    assert delivery.dispatch_due(engine, settings).delivered == 1
    with Session(engine) as s:
        assert s.get(OutboxMessage, msg.id).status == "delivered"


def test_only_admins_may_redeliver(settings, engine, web, admin_users):
    web.as_role("auditor")
    assert web.post("/admin/deliveries/1/redeliver").status_code in (403, 404)
