"""One-time reveal slots: a secret created by a form (a new API key, a webhook's signing secret,
recovery codes) is shown once, on the page the form redirects to, and never again.

The form's handler puts the secret in a slot (encrypted, in the database) and keeps only the slot's id
in the browser session; the page takes it out, which deletes it. A reload finds nothing, and the
secret never travels in a cookie, a URL or a redirect. Slots not taken within ``TTL`` are deleted.
"""

from __future__ import annotations

import json
import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete
from sqlmodel import Session, col

from registry.models import RevealSlot
from registry.services import secretbox
from registry.timeutil import utcnow

TTL = timedelta(minutes=15)


def put(session: Session, *, user_id: int, kind: str, payload: dict[str, Any], key: bytes) -> str:
    """Keep `payload` for `user_id` to see once; returns the slot id (for the browser session)."""
    now = utcnow()
    session.execute(delete(RevealSlot).where(col(RevealSlot.created_at) < now - TTL))
    slot_id = secrets.token_urlsafe(24)
    sealed = secretbox.seal(key, json.dumps(payload), context=f"{slot_id}:{user_id}:{kind}")
    session.add(RevealSlot(id=slot_id, user_id=user_id, kind=kind, payload=sealed, created_at=now))
    session.flush()
    return slot_id


def take(
    session: Session, slot_id: str, *, user_id: int, kind: str, key: bytes, now: datetime | None = None
) -> dict[str, Any] | None:
    """The payload of a slot, deleting it; None when it was taken already, expired or is not this
    user's. The caller commits."""
    slot = session.get(RevealSlot, slot_id) if slot_id else None
    if slot is None or slot.user_id != user_id or slot.kind != kind:
        return None
    session.delete(slot)
    session.flush()
    if slot.created_at < (now or utcnow()) - TTL:
        return None
    try:
        return json.loads(secretbox.unseal(key, slot.payload, context=f"{slot_id}:{user_id}:{kind}"))
    except secretbox.Unreadable:
        return None
