"""Request and response models of the webhook endpoints of the API (registration, list, test)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal, cast

from pydantic import ConfigDict, Field

from registry.api.bodies import MAX_URL_LENGTH
from registry.api.schemas import EventType, Model
from registry.models.companies import WEBHOOK_EVENTS

PORT = r"([1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])"
_LABEL = r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_OCTET = r"(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
# A dotted host name whose last label starts with a letter, or a standard dotted-quad IPv4 address: the
# forms registry.services.webhook_targets accepts (it also checks where the name resolves to).
HOST = r"((" + _LABEL + r"\.)+[A-Za-z]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?|(" + _OCTET + r"\.){3}" + _OCTET + r")"


class WebhookCreate(Model):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"url": "https://hooks.example.com/fairrecruit", "events": ["recruiter.status_changed"]}
            ]
        },
    )

    url: str = Field(
        pattern=r"^https?://" + HOST + r"(:" + PORT + r")?(/[!-~]*)?$",
        max_length=MAX_URL_LENGTH,
        description="Where events are POSTed: http(s), a full host name (or an IPv4 address), an optional "
        "port and path (printable ASCII; percent-encode the rest). The host must resolve only to public "
        "addresses.",
    )
    events: list[EventType] = Field(
        # EventType and WEBHOOK_EVENTS hold the same events (checked when registry.api.schemas is imported).
        default_factory=lambda: cast(list[EventType], list(WEBHOOK_EVENTS)),
        min_length=1,
        description="Event types to receive (default: all)",
    )


class Webhook(Model):
    id: int = Field(examples=[7])
    url: str = Field(examples=["https://hooks.example.com/fairrecruit"])
    events: list[EventType]
    active: bool
    created_at: datetime


class WebhookCreated(Webhook):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 7,
                    "url": "https://hooks.example.com/fairrecruit",
                    "events": ["recruiter.status_changed"],
                    "active": True,
                    "created_at": "2026-03-01T10:00:00Z",
                    "secret": "whsec_Zk3d9Q0pA7mP2xV8nT4rW6yB1cE5hJ0lK9sF3gU7oI2",
                }
            ]
        }
    )

    secret: str = Field(description="Signing secret. Shown only in this answer: store it now")


class WebhookList(Model):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [
                        {
                            "id": 7,
                            "url": "https://hooks.example.com/fairrecruit",
                            "events": ["recruiter.status_changed"],
                            "active": True,
                            "created_at": "2026-03-01T10:00:00Z",
                        }
                    ]
                }
            ]
        }
    )

    items: list[Webhook]


class WebhookTestQueued(Model):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "message_id": "msg_5f0c3b1e9d2a4c7b8e6f1a2b3c4d5e6f",
                    "event_type": "recruiter.status_changed",
                    "status": "queued",
                }
            ]
        }
    )

    message_id: str = Field(description="The `id` the delivery will carry")
    event_type: EventType
    status: Literal["queued"]
