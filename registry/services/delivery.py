"""Delivery of outbox messages (in the worker): claim, sign, send, record; dead letters and their alert.

Each attempt ends in an :class:`Outcome` that carries a reason code (:class:`Reason`), never English
text; the code is what the outbox row keeps (``OutboxMessage.last_error``), and :func:`describe` turns
it into words for people (the admin deliveries page, logs). Follower messages are rendered in the
follower's language by ``registry.notifications``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

import httpx
from sqlalchemy import func, select, update
from sqlmodel import Session, col

from registry import notifications
from registry.db import session_scope
from registry.models import CaseSubscription, Follower, OutboxMessage, WebhookEndpoint
from registry.models.outbox import OutboxStatus
from registry.services import alerts, outbox
from registry.timeutil import utcnow

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "FairRecruit-Signature"
DEAD_LETTER_ALERT = "delivery_dead"


class Reason(StrEnum):
    """Why an attempt did not deliver its message."""

    endpoint_removed = "endpoint_removed"  # the webhook endpoint was deleted or disabled
    follower_gone = "follower_gone"  # the chat used /forget, stopped following, or its case was erased
    no_bot_token = "no_bot_token"  # noqa: S105 - a reason code: this installation has no bot token
    unknown_channel = "unknown_channel"
    http_error = "http_error"  # the company's receiver answered with a non-2xx status
    bot_api_rejected = "bot_api_rejected"  # the Bot API refused the chat (400 not found, 403 blocked)
    bot_api_error = "bot_api_error"  # any other non-2xx answer of the Bot API (429, 5xx)
    timeout = "timeout"
    connect_error = "connect_error"
    transport_error = "transport_error"  # any other failure of the HTTP exchange


@dataclass(frozen=True)
class Outcome:
    ok: bool
    reason: Reason | None = None
    status_code: int | None = None  # the HTTP status of the answer, when there was one
    permanent: bool = False
    retry_after: float | None = None

    @property
    def code(self) -> str | None:
        """What the outbox row keeps: the reason, and the HTTP status when there is one (``http_error:500``)."""
        if self.reason is None:
            return None
        return f"{self.reason}:{self.status_code}" if self.status_code is not None else str(self.reason)


DELIVERED = Outcome(True)


def parse_code(code: str | None) -> tuple[Reason | None, int | None]:
    """(reason, HTTP status) of a stored code; (None, None) for no code or one this version does not know."""
    if not code:
        return None, None
    name, _, status = code.partition(":")
    try:
        return Reason(name), int(status) if status.isdigit() else None
    except ValueError:
        return None, None


_DESCRIPTIONS = {
    Reason.endpoint_removed: "webhook endpoint removed or disabled",
    Reason.follower_gone: "follower no longer exists (chat erased or unfollowed)",
    Reason.no_bot_token: "no Telegram bot token configured",
    Reason.unknown_channel: "unknown channel",
    Reason.http_error: "receiver answered HTTP {status}",
    Reason.bot_api_rejected: "Bot API answered {status}: the chat cannot be reached",
    Reason.bot_api_error: "Bot API answered {status}",
    Reason.timeout: "no answer from the {peer} in time",
    Reason.connect_error: "could not connect to the {peer}",
    Reason.transport_error: "the HTTP exchange with the {peer} failed",
}


def describe(code: str | None, channel: str = "webhook") -> str:
    """The English words for a stored code, for people (admin pages, logs); "" for none."""
    if not code:
        return ""
    reason, status = parse_code(code)
    if reason is None:
        return code  # written by an older version, or unknown: show it as it is
    peer = "Bot API" if channel == "bot" else "receiver"
    return _DESCRIPTIONS[reason].format(status=status if status is not None else "an error", peer=peer)


# --- webhooks: body and signature ------------------------------------------------------------------


def webhook_body(msg: OutboxMessage) -> str:
    """The JSON body of a webhook: {id, type, created_at, data}; id is the stable message id."""
    p = msg.payload or {}
    return json.dumps(
        {
            "id": msg.message_id,
            "type": msg.event_type,
            "created_at": p.get("created_at"),
            "data": p.get("data", {}),
        },
        separators=(",", ":"),
        ensure_ascii=False,
        sort_keys=True,
    )


def sign(secret: str, body: str, t: int | None = None) -> str:
    """`t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`"""
    t = int(time.time()) if t is None else t
    mac = hmac.new(secret.encode(), f"{t}.{body}".encode(), hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def verify_signature(
    secret: str, body: str | bytes, header: str, *, tolerance: int | None = 300, now: int | None = None
) -> bool:
    """What a receiver does: recompute the HMAC and compare in constant time (and bound the age)."""
    if isinstance(body, bytes):
        body = body.decode()
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        t = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if tolerance is not None and abs((now or int(time.time())) - t) > tolerance:
        return False
    expected = sign(secret, body, t).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))


def backoff_delay(attempts: int, base: float, cap: float) -> float:
    """Exponential backoff with jitter: base * 2^(attempts-1), capped, drawn from [d/2, d]."""
    d = min(cap, base * (2 ** max(0, min(attempts - 1, 40))))
    return random.uniform(d / 2, d)


# --- one attempt: claim, build, send, record ---------------------------------------------------------


@dataclass
class Request:
    message_id: int
    channel: str
    url: str
    headers: dict
    body: str


def claim_one(session: Session, *, lease_seconds: float, now: datetime | None = None) -> OutboxMessage | None:
    """Take the next due message (one atomic UPDATE); it stays pending but is leased for a while."""
    now = now or utcnow()
    sub = (
        select(col(OutboxMessage.id))
        .where(col(OutboxMessage.status) == OutboxStatus.pending, col(OutboxMessage.next_attempt_at) <= now)
        .order_by(col(OutboxMessage.next_attempt_at), col(OutboxMessage.id))
        .limit(1)
    )
    if session.get_bind().dialect.name == "postgresql":
        sub = sub.with_for_update(skip_locked=True)
    mid = session.execute(
        update(OutboxMessage)
        .where(
            col(OutboxMessage.id) == sub.scalar_subquery(), col(OutboxMessage.status) == OutboxStatus.pending
        )
        .values(next_attempt_at=now + timedelta(seconds=lease_seconds))
        .returning(col(OutboxMessage.id))
    ).scalar()
    if mid is None:
        return None
    return session.get(OutboxMessage, mid, populate_existing=True)


def build_request(session: Session, msg: OutboxMessage, settings) -> Request | Outcome:
    """The HTTP request that delivers `msg`, or the Outcome that says why there is none."""
    if msg.id is None:
        raise RuntimeError("msg.id is not None")
    if msg.channel == "webhook":
        ep = session.get(WebhookEndpoint, msg.target_id)
        if ep is None or not ep.active:
            return Outcome(False, Reason.endpoint_removed, permanent=True)
        body = webhook_body(msg)
        return Request(
            msg.id,
            "webhook",
            ep.url,
            {
                "Content-Type": "application/json",
                "User-Agent": "FairRecruit-Webhooks/1",
                SIGNATURE_HEADER: sign(ep.secret, body),
                "FairRecruit-Event": msg.event_type,
                "FairRecruit-Delivery": msg.message_id,
            },
            body,
        )
    if msg.channel == "bot":
        chat: Follower | CaseSubscription | None
        if msg.event_type == outbox.CASE_DECIDED:  # to the worker who sent the report
            chat = session.get(CaseSubscription, msg.target_id)
        else:
            chat = session.get(Follower, msg.target_id)
        if chat is None:
            return Outcome(False, Reason.follower_gone, permanent=True)
        if not settings.telegram_bot_token:
            return Outcome(False, Reason.no_bot_token)
        if isinstance(chat, CaseSubscription):
            text = notifications.case_decided(chat.language, msg.payload or {})
        else:
            text = notifications.status_changed(chat.language, msg.payload or {})
        body = json.dumps({"chat_id": chat.chat_id, "text": text}, ensure_ascii=False)
        url = f"{settings.telegram_api_base_url}{settings.telegram_bot_token}/sendMessage"
        return Request(msg.id, "bot", url, {"Content-Type": "application/json"}, body)
    return Outcome(False, Reason.unknown_channel, permanent=True)


def send(client: httpx.Client, req: Request) -> Outcome:
    """Perform the HTTP call (outside any database transaction)."""
    try:
        resp = client.post(req.url, content=req.body.encode(), headers=req.headers)
    except httpx.TimeoutException:
        return Outcome(False, Reason.timeout)
    except httpx.ConnectError:
        return Outcome(False, Reason.connect_error)
    except httpx.HTTPError as e:
        # Neither the URL (the Bot API's carries the token) nor the error text (it may quote the URL).
        log.info("delivery of outbox message %s failed: %s", req.message_id, type(e).__name__)
        return Outcome(False, Reason.transport_error)
    if 200 <= resp.status_code < 300:
        return DELIVERED
    if req.channel == "bot":
        try:
            retry_after = (resp.json().get("parameters") or {}).get("retry_after")
        except (ValueError, AttributeError):
            retry_after = None
        # 400 chat not found / 403 bot blocked: this follower cannot be reached any more.
        rejected = resp.status_code in (400, 403)
        return Outcome(
            False,
            Reason.bot_api_rejected if rejected else Reason.bot_api_error,
            status_code=resp.status_code,
            permanent=rejected,
            retry_after=float(retry_after) if retry_after else None,
        )
    return Outcome(False, Reason.http_error, status_code=resp.status_code)


def record(session: Session, message_pk: int, outcome: Outcome, settings, now: datetime | None = None) -> str:
    """Store the result of one attempt; returns the message's new status."""
    now = now or utcnow()
    msg = session.get(OutboxMessage, message_pk, populate_existing=True)
    if msg is None or msg.status != OutboxStatus.pending:
        return msg.status if msg else "gone"
    msg.attempts += 1
    if outcome.ok:
        msg.status = OutboxStatus.delivered
        msg.delivered_at = now
        msg.last_error = None
    else:
        msg.last_error = outcome.code
        delay = backoff_delay(
            msg.attempts, settings.outbox_backoff_base_seconds, settings.webhook_max_backoff_seconds
        )
        if outcome.retry_after:
            delay = max(delay, outcome.retry_after)
        created = msg.created_at if msg.created_at.tzinfo else msg.created_at.replace(tzinfo=now.tzinfo)
        horizon = created + timedelta(seconds=settings.webhook_max_backoff_seconds)
        if outcome.permanent or now + timedelta(seconds=delay) > horizon:
            msg.status = OutboxStatus.dead
            if outcome.reason != Reason.follower_gone:  # nothing to do for an erased follower
                raise_dead_letter_alert(session, msg)
        else:
            msg.next_attempt_at = now + timedelta(seconds=delay)
    session.flush()
    return msg.status


def raise_dead_letter_alert(session: Session, msg: OutboxMessage) -> None:
    """Show admins a message that will not be delivered (alert `delivery_dead`, once per message)."""
    alerts.raise_alert(
        session,
        key=f"outbox_dead:{msg.message_id}",
        kind=DEAD_LETTER_ALERT,
        recruiter_id=None,
        details={
            "message_id": msg.message_id,
            "channel": msg.channel,
            "target_id": msg.target_id,
            "event_type": msg.event_type,
            "attempts": msg.attempts,
            "reason": msg.last_error,
            "error": describe(msg.last_error, msg.channel),
        },
    )


# --- the dispatcher ------------------------------------------------------------------------------------


@dataclass
class DispatchResult:
    delivered: int = 0
    failed: int = 0
    dead: int = 0
    next_due_in: float | None = None  # seconds until the earliest pending message is due

    def __str__(self) -> str:
        return f"{self.delivered} delivered, {self.failed} to retry, {self.dead} dead"


def next_due_in(session: Session, now: datetime | None = None) -> float | None:
    now = now or utcnow()
    nxt = session.scalar(
        select(func.min(col(OutboxMessage.next_attempt_at))).where(
            col(OutboxMessage.status) == OutboxStatus.pending
        )
    )
    if nxt is None:
        return None
    if nxt.tzinfo is None:
        nxt = nxt.replace(tzinfo=now.tzinfo)
    return max(0.0, (nxt - now).total_seconds())


def undelivered(session: Session, now: datetime | None = None) -> int:
    """How many pending messages are due now (what the sweep re-enqueues)."""
    now = now or utcnow()
    return (
        session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(
                col(OutboxMessage.status) == OutboxStatus.pending, col(OutboxMessage.next_attempt_at) <= now
            )
        )
        or 0
    )


def dispatch_due(
    engine,
    settings,
    *,
    limit: int = 500,
    client: httpx.Client | None = None,
    time_budget: float = 240.0,
) -> DispatchResult:
    """Deliver due messages one by one: claim (commit), HTTP call (no transaction open), record (commit).

    Each step is its own unit of work, so a crash between them leaves the message pending; its lease
    runs out and it is delivered again (at least once; receivers de-duplicate on the message id).
    """
    result = DispatchResult()
    own = client is None
    client = client or httpx.Client(timeout=settings.webhook_timeout_seconds, follow_redirects=False)
    lease = settings.webhook_timeout_seconds + 30
    started = time.monotonic()
    try:
        for _ in range(limit):
            if time.monotonic() - started > time_budget:
                break
            with session_scope(engine, write=True) as s:
                msg = claim_one(s, lease_seconds=lease)
                if msg is None:
                    break
                req = build_request(s, msg, settings)
            outcome = req if isinstance(req, Outcome) else send(client, req)
            with session_scope(engine, write=True) as s:
                if msg.id is None:
                    raise RuntimeError("msg.id is not None")
                status = record(s, msg.id, outcome, settings)
            if status == OutboxStatus.delivered:
                result.delivered += 1
            elif status == OutboxStatus.dead:
                result.dead += 1
                log.warning(
                    "outbox message %s is dead after %s attempts: %s",
                    msg.message_id,
                    msg.attempts + 1,
                    describe(outcome.code, msg.channel),
                )
            else:
                result.failed += 1
        with session_scope(engine) as s:
            result.next_due_in = next_due_in(s)
    finally:
        if own:
            client.close()
    return result
