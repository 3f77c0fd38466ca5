from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from registry.timeutil import utcnow


class OutboxStatus(StrEnum):
    pending = "pending"
    delivered = "delivered"
    dead = "dead"


class OutboxMessage(SQLModel, table=True):
    """An outgoing message, written in the same transaction as the change that caused it.

    `message_id` is stable across retries (receivers de-duplicate on it). channel is
    'webhook' (target_id = webhook_endpoint.id) or 'bot' (target_id = follower.id; for the event
    'case.decided', case_subscription.id).
    """

    __tablename__ = "outbox_message"
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    message_id: str = Field(max_length=40, unique=True)
    channel: str = Field(max_length=12)
    target_id: int
    event_type: str = Field(max_length=60)
    payload: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(default=OutboxStatus.pending, max_length=12)
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow)
    # The reason code of the last failed attempt (registry.services.delivery.Reason, e.g. "http_error:500").
    last_error: str | None = Field(default=None, max_length=1000)
    created_at: datetime = Field(default_factory=utcnow)
    delivered_at: datetime | None = None


class DeliveryCircuit(SQLModel, table=True):
    """The circuit breaker of one delivery lane (``webhook:<endpoint id>``, or ``bot`` for the Bot API).

    ``failures`` counts failed attempts in a row; past the limit the circuit opens until ``open_until``
    (no attempt meanwhile, then one probe); ``opened`` counts the openings in a row (each doubles the
    wait); ``failing_since`` is the first failure after the last success.
    """

    __tablename__ = "delivery_circuit"

    lane: str = Field(primary_key=True, max_length=40)
    failures: int = 0
    opened: int = 0
    failing_since: datetime | None = None
    open_until: datetime | None = None
    last_error: str | None = Field(default=None, max_length=1000)
    updated_at: datetime = Field(default_factory=utcnow)
