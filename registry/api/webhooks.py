"""/api/v1/webhooks: where the company is told about changes to the recruiters it lists."""

from __future__ import annotations

from flask import Response, current_app

from registry.api import bodies
from registry.api import webhook_schemas as s
from registry.api.core import caller, mutation, operation, render
from registry.extensions import get_session
from registry.services import companies

WEBHOOK_ID_PARAM = {
    "webhook_id": {
        "description": "Id of the webhook endpoint",
        "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
        "example": 7,
    }
}


def _webhook(w) -> dict:
    return {
        "id": w.id,
        "url": w.url,
        "events": list(w.events or []),
        "active": w.active,
        "created_at": w.created_at,
    }


@operation(
    "GET",
    "/webhooks",
    summary="List webhook endpoints",
    tag="Webhooks",
    scope="webhooks",
    responses={200: (s.WebhookList, "The company's webhook endpoints (secrets are never shown again)")},
)
def list_webhooks():
    """Your webhook endpoints. Signing secrets are shown only once, when an endpoint is created."""
    items = [_webhook(w) for w in companies.list_webhooks(get_session(), caller().company_id)]
    return render(s.WebhookList, {"items": items})


@operation(
    "POST",
    "/webhooks",
    summary="Add a webhook endpoint",
    tag="Webhooks",
    scope="webhooks",
    body=s.WebhookCreate,
    responses={201: (s.WebhookCreated, "Created; the answer shows the secret once")},
    errors=(400, 409, 413, 415, 422),
    body_limit=bodies.WEBHOOK_BODY_LIMIT,
)
def create_webhook(body: s.WebhookCreate):
    """Register a URL to receive `recruiter.status_changed`, `recruiter.licence_changed` and/or
    `recruiter.alert_raised` events about the recruiters on your supplier list. Each delivery is a
    `POST` of `{id, type, created_at, data}` signed with
    `FairRecruit-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`. The URL's host must be a
    public name (or address) that resolves only to public addresses; it is checked now and again at
    every delivery, and redirects are not followed. In production the URL must be https://. The same
    URL twice, or more than 10 endpoints: 409."""
    session = mutation()
    company = companies.get(session, caller().company_id)
    settings = current_app.extensions["fairrecruit.settings"]
    new = companies.create_webhook(
        session,
        company,
        url=body.url,
        events=list(body.events),
        production=settings.is_production,
        allow_private=settings.webhook_allow_private,
    )
    session.commit()
    return render(
        s.WebhookCreated,
        {**_webhook(new.endpoint), "secret": new.secret},
        status=201,
        headers={"Location": f"/api/v1/webhooks/{new.endpoint.id}"},
    )


@operation(
    "DELETE",
    "/webhooks/<int:webhook_id>",
    summary="Delete a webhook endpoint",
    tag="Webhooks",
    scope="webhooks",
    path_params=WEBHOOK_ID_PARAM,
    responses={204: (None, "Deleted")},
    errors=(404,),
)
def delete_webhook(webhook_id: int):
    """Delete the endpoint; messages not yet delivered to it are dropped."""
    session = mutation()
    companies.delete_webhook(session, caller().company_id, webhook_id)
    session.commit()
    return Response(status=204)


@operation(
    "POST",
    "/webhooks/<int:webhook_id>/test",
    summary="Send a test event",
    tag="Webhooks",
    scope="webhooks",
    path_params=WEBHOOK_ID_PARAM,
    responses={202: (s.WebhookTestQueued, "Queued for delivery")},
    errors=(404,),
)
def send_test_event(webhook_id: int):
    """Queue a sample `recruiter.status_changed` event (its `data.test` is true) for this endpoint, to
    check that your receiver accepts it and verifies the signature."""
    session = mutation()
    message = companies.send_test_event(session, caller().company_id, webhook_id)
    session.commit()
    return render(
        s.WebhookTestQueued,
        {"message_id": message.message_id, "event_type": message.event_type, "status": "queued"},
        status=202,
    )
