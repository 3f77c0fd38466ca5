"""Show a secret once after a redirect (Post/Redirect/Get): a new API key, a webhook's signing
secret, recovery codes.

The view that creates the secret calls ``keep`` before committing and redirects; the page it
redirects to calls ``take``. The browser session holds only the slot's id (registry.services.reveal
holds the secret, encrypted); the first display deletes it, and a reload shows "already shown".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import session as browser_session
from flask_login import current_user
from sqlmodel import Session

from registry.extensions import settings
from registry.services import reveal, secretbox


def data_key(purpose: str) -> bytes:
    """The key sealing what the web stores encrypted for `purpose` ("reveal", "totp")."""
    return secretbox.derive_key(settings().secret_key, purpose)


def _slot_key(kind: str, scope: str) -> str:
    return f"reveal:{kind}:{scope}"


def keep(session: Session, kind: str, scope: str, payload: dict[str, Any]) -> None:
    """Keep `payload` for the signed-in user's next page about `scope` (e.g. a company id)."""
    slot_id = reveal.put(session, user_id=current_user.id, kind=kind, payload=payload, key=data_key("reveal"))
    browser_session[_slot_key(kind, scope)] = slot_id


@dataclass
class Shown:
    payload: dict[str, Any] | None  # the secret, this once
    already_shown: bool  # a reload of the page that showed it


def take(session: Session, kind: str, scope: str) -> Shown:
    """The secret kept for this page, once; the caller commits (the slot is deleted)."""
    key = _slot_key(kind, scope)
    slot_id = browser_session.get(key)
    if not slot_id:
        return Shown(None, False)
    payload = reveal.take(session, slot_id, user_id=current_user.id, kind=kind, key=data_key("reveal"))
    if payload is None:
        browser_session.pop(key, None)
        return Shown(None, True)
    return Shown(payload, False)
