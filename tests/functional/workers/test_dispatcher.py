"""The outbox dispatcher against a real HTTP receiver (no broker needed): backoff, dead letters,
bot messages through the Bot API base URL, and erased followers."""

from __future__ import annotations

import json
import socket

from sqlalchemy import delete, select

from registry import notifications
from registry.db import session_scope
from registry.models import Alert, Follower, OutboxMessage, WebhookEndpoint
from registry.services import accreditation, delivery
from tests import factories
from tests.functional.workers.test_delivery import SECRET, messages, subscribed_recruiter, suspend


def test_backoff_grows_with_jitter_and_is_capped():
    for attempts in range(1, 30):
        d = delivery.backoff_delay(attempts, 30, 24 * 3600)
        full = min(24 * 3600, 30 * 2 ** (attempts - 1))
        assert full / 2 <= d <= full
    assert len({delivery.backoff_delay(5, 30, 3600) for _ in range(20)}) > 1  # jitter


def test_receiver_down_until_horizon_becomes_dead_letter_visible_to_admins(settings, engine, receiver):
    settings.outbox_backoff_base_seconds = 0.01
    settings.webhook_max_backoff_seconds = 1
    receiver.script = [500] * 100
    rec = subscribed_recruiter(engine, receiver.url)
    suspend(engine, rec)
    import time

    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and messages(engine)[0].status == "pending":
        delivery.dispatch_due(engine, settings)
        time.sleep(0.02)
    (msg,) = messages(engine)
    assert msg.status == "dead" and msg.attempts >= 2 and msg.last_error == "http_error:500"
    assert delivery.describe(msg.last_error, msg.channel) == "receiver answered HTTP 500"
    with session_scope(engine) as s:
        # One alert for the failing endpoint: its circuit opened, or the message was given up first.
        alert = s.scalars(select(Alert)).one()
        assert alert.kind in ("delivery_failing", "delivery_dead") and alert.resolved_at is None
        assert alert.key.startswith(f"{alert.kind}:webhook:{msg.target_id}:")
        assert alert.details["reason"] == "http_error:500"
    count = receiver.count()
    delivery.dispatch_due(engine, settings)
    assert receiver.count() == count  # dead letters are not retried


def test_bot_message_goes_to_the_configured_bot_api_and_blocked_chat_is_dead(settings, engine, receiver):
    settings.telegram_bot_token = "42:ABC"
    settings.telegram_api_base_url = receiver.url.rsplit("/", 2)[0] + "/bot"
    rec = subscribed_recruiter(engine, receiver.url, followers=(1001, 1002))
    receiver.scripts["/bot42:ABC/sendMessage"] = [200, 403]  # the second chat blocked the bot
    suspend(engine, rec)
    result = delivery.dispatch_due(engine, settings)
    assert (result.delivered, result.dead) == (2, 1)
    bot_calls = [r for r in receiver.received if r["path"] == "/bot42:ABC/sendMessage"]
    assert sorted(json.loads(r["body"])["chat_id"] for r in bot_calls) == [1001, 1002]
    bot_msgs = [m for m in messages(engine) if m.channel == "bot"]
    for r in bot_calls:
        body = json.loads(r["body"])
        assert body["text"] == notifications.status_changed("en", bot_msgs[0].payload)
        assert rec.public_id in body["text"] and "has been suspended" in body["text"]
    (blocked,) = [m for m in bot_msgs if m.status == "dead"]
    assert blocked.last_error == "bot_api_rejected:403"
    assert "the chat cannot be reached" in delivery.describe(blocked.last_error, "bot")


def test_message_to_a_forgotten_follower_is_dropped_without_alert(settings, engine, receiver):
    settings.telegram_bot_token = "42:ABC"
    settings.telegram_api_base_url = receiver.url.rsplit("/", 2)[0] + "/bot"
    rec = subscribed_recruiter(engine, receiver.url, followers=(5005,))
    suspend(engine, rec)
    with session_scope(engine) as s:
        s.execute(delete(Follower))
    result = delivery.dispatch_due(engine, settings)
    assert (result.delivered, result.dead) == (1, 1)
    with session_scope(engine) as s:
        assert s.scalars(select(Alert)).all() == []
        dead = s.scalars(select(OutboxMessage).where(OutboxMessage.status == "dead")).one()
        assert dead.channel == "bot" and dead.last_error == "follower_gone"
        assert "erased" in delivery.describe(dead.last_error, dead.channel)


def test_signature_verification_rejects_tampering_and_old_timestamps():
    body = '{"id":"msg_1"}'
    header = delivery.sign(SECRET, body, t=1_700_000_000)
    assert delivery.verify_signature(SECRET, body, header, now=1_700_000_100)
    assert not delivery.verify_signature(SECRET, body + " ", header, now=1_700_000_100)
    assert not delivery.verify_signature(SECRET, body, header, now=1_700_001_000)
    assert not delivery.verify_signature(SECRET, body, "garbage")


def test_change_and_its_messages_commit_together(settings, engine, receiver):
    rec = subscribed_recruiter(engine, receiver.url)
    try:
        with session_scope(engine) as s:
            accreditation.decide(s, s.merge(rec), "suspend", actor="officer@x.org", reason="test")
            assert len(s.scalars(select(OutboxMessage)).all()) == 1
            raise RuntimeError("the edge failed before commit")
    except RuntimeError:
        pass
    assert messages(engine) == []
    with session_scope(engine) as s:
        assert accreditation.get(s, rec.id).status == "accredited"
    assert factories  # factories used by subscribed_recruiter


def test_unreachable_bot_api_is_retried_and_the_token_never_stored(settings, engine, receiver):
    settings.telegram_bot_token = "42:SECRET-TOKEN-VALUE"
    settings.telegram_api_base_url = "http://127.0.0.1:1/bot"  # nothing listens there
    rec = subscribed_recruiter(engine, receiver.url, followers=(9009,))
    suspend(engine, rec)
    result = delivery.dispatch_due(engine, settings)
    assert (result.delivered, result.failed) == (1, 1)  # the webhook went out; the bot message waits
    (bot_msg,) = [m for m in messages(engine) if m.channel == "bot"]
    assert bot_msg.status == "pending" and bot_msg.attempts == 1
    assert bot_msg.last_error == "connect_error"  # a reason code: the token cannot be in it
    assert delivery.describe(bot_msg.last_error, "bot") == "could not connect to the Bot API"


def test_a_receiver_that_never_answers_times_out_and_is_retried(settings, engine):
    silent = socket.socket()  # accepts connections (the kernel's backlog) but never answers
    silent.bind(("127.0.0.1", 0))
    silent.listen()
    try:
        settings.webhook_timeout_seconds = 0.3
        rec = subscribed_recruiter(engine, f"http://127.0.0.1:{silent.getsockname()[1]}/hook")
        suspend(engine, rec)
        result = delivery.dispatch_due(engine, settings)
    finally:
        silent.close()
    assert (result.delivered, result.failed, result.dead) == (0, 1, 0)
    (msg,) = messages(engine)
    assert msg.status == "pending" and msg.last_error == "timeout"
    assert delivery.describe(msg.last_error, msg.channel) == "no answer from the receiver in time"


def test_a_disabled_endpoint_is_a_dead_letter_at_once(settings, engine, receiver):
    rec = subscribed_recruiter(engine, receiver.url)
    suspend(engine, rec)
    with session_scope(engine) as s:
        for ep in s.scalars(select(WebhookEndpoint)):
            ep.active = False
    result = delivery.dispatch_due(engine, settings)
    assert result.dead == 1 and receiver.count() == 0
    (msg,) = messages(engine)
    assert msg.last_error == "endpoint_removed" and msg.attempts == 1
    with session_scope(engine) as s:
        alert = s.scalars(select(Alert).where(Alert.kind == "delivery_dead")).one()
        assert alert.details["reason"] == "endpoint_removed"
        assert alert.details["error"] == "webhook endpoint removed or disabled"


def test_every_reason_has_words_and_codes_round_trip():
    for reason in delivery.Reason:
        for channel in ("webhook", "bot"):
            outcome = delivery.Outcome(False, reason, status_code=503)
            assert delivery.parse_code(outcome.code) == (reason, 503)
            words = delivery.describe(outcome.code, channel)
            assert words and "{" not in words and reason.value not in words
    assert delivery.Outcome(False, delivery.Reason.timeout).code == "timeout"
    assert delivery.DELIVERED.code is None and delivery.describe(None) == ""
    assert "Bot API" in delivery.describe("connect_error", "bot")
    assert "receiver" in delivery.describe("connect_error", "webhook")
    # what an older version stored (English text) is shown as it is
    assert delivery.describe("receiver answered HTTP 502") == "receiver answered HTTP 502"
    assert delivery.parse_code("no_such_reason:12") == (None, None)
