"""Transactional outbox: outgoing messages are rows written in the same transaction as the change.

``emit`` fans an event out, set-based, to every webhook endpoint of every company that lists the
recruiter and subscribes to the event type, and (for status changes) to every chat that follows the
recruiter. The dispatcher (workers) delivers them after commit, at least once, retrying with backoff.
"""

from __future__ import annotations

import uuid

from sqlalchemy import insert, select
from sqlmodel import Session

from registry.models import Follower, OutboxMessage, Recruiter, SupplierLink, WebhookEndpoint
from registry.timeutil import iso, utcnow

STATUS_CHANGED = "recruiter.status_changed"
LICENCE_CHANGED = "recruiter.licence_changed"
ALERT_RAISED = "recruiter.alert_raised"
EVENT_TYPES = (STATUS_CHANGED, LICENCE_CHANGED, ALERT_RAISED)
# Which events workers who follow a recruiter hear about through the bot.
BOT_EVENTS = (STATUS_CHANGED,)


def new_message_id() -> str:
    return "msg_" + uuid.uuid4().hex


def emit(session: Session, event_type: str, recruiter: Recruiter, data: dict) -> int:
    """Queue `event_type` about `recruiter` for every subscriber. Returns the number of messages."""
    assert event_type in EVENT_TYPES, event_type
    now = utcnow()
    base = {"recruiter": {"public_id": recruiter.public_id, "legal_name": recruiter.legal_name,
                          "country": recruiter.country}, **data}
    rows = []
    endpoints = session.exec(
        select(WebhookEndpoint.id, WebhookEndpoint.events)
        .join(SupplierLink, SupplierLink.company_id == WebhookEndpoint.company_id)
        .where(SupplierLink.recruiter_id == recruiter.id, WebhookEndpoint.active.is_(True))
    ).all()
    for endpoint_id, events in endpoints:
        if event_type in (events or []):
            rows.append({"channel": "webhook", "target_id": endpoint_id})
    if event_type in BOT_EVENTS:
        for (follower_id,) in session.exec(select(Follower.id).where(Follower.recruiter_id == recruiter.id)).all():
            rows.append({"channel": "bot", "target_id": follower_id})
    if not rows:
        return 0
    session.execute(
        insert(OutboxMessage),
        [
            {**r, "message_id": new_message_id(), "event_type": event_type,
             "payload": {"type": event_type, "created_at": iso(now), "data": base},
             "status": "pending", "attempts": 0, "next_attempt_at": now, "created_at": now}
            for r in rows
        ],
    )
    session.info.setdefault("outbox_written", 0)
    session.info["outbox_written"] += len(rows)
    return len(rows)
