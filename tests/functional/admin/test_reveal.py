"""One-time reveal slots: a secret is read once, by its owner, within the time-to-live, and is stored
encrypted meanwhile."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from registry.models import RevealSlot
from registry.services import reveal, secretbox
from registry.timeutil import utcnow

KEY = secretbox.derive_key("test-secret-key-0123456789", "reveal")


def test_a_slot_is_read_once_by_its_owner(session, admin_users):
    owner, other = admin_users["admin"].id, admin_users["viewer"].id
    slot = reveal.put(
        session, user_id=owner, kind="api_key", payload={"plaintext": "fr_live_x_secret"}, key=KEY
    )
    stored = session.exec(select(RevealSlot)).one()
    assert "fr_live_x_secret" not in stored.payload  # encrypted at rest
    assert reveal.take(session, slot, user_id=other, kind="api_key", key=KEY) is None
    assert reveal.take(session, slot, user_id=owner, kind="webhook_secret", key=KEY) is None
    assert reveal.take(session, slot, user_id=owner, kind="api_key", key=KEY) == {
        "plaintext": "fr_live_x_secret"
    }
    assert reveal.take(session, slot, user_id=owner, kind="api_key", key=KEY) is None
    assert session.exec(select(RevealSlot)).all() == []


def test_slots_expire(session, admin_users):
    owner = admin_users["admin"].id
    slot = reveal.put(session, user_id=owner, kind="api_key", payload={"k": 1}, key=KEY)
    later = utcnow() + reveal.TTL + timedelta(seconds=1)
    assert reveal.take(session, slot, user_id=owner, kind="api_key", key=KEY, now=later) is None
    # another key (SECRET_KEY changed) reads nothing
    slot = reveal.put(session, user_id=owner, kind="api_key", payload={"k": 1}, key=KEY)
    other_key = secretbox.derive_key("another-secret-key-0123456789", "reveal")
    assert reveal.take(session, slot, user_id=owner, kind="api_key", key=other_key) is None
