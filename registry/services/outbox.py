"""Transactional outbox: outgoing messages are rows written in the same transaction as the change.

``emit`` fans an event out, set-based, to every webhook endpoint of every company that lists the
recruiter and subscribes to the event type, and (for status changes) to every chat that follows the
recruiter. The dispatcher (workers) delivers them after commit, at least once, retrying with backoff.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import random
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from sqlalchemy import event, func, insert, select, update
from sqlalchemy.orm import Session as SASession
from sqlmodel import Session

from registry.models import Follower, OutboxMessage, Recruiter, SupplierLink, WebhookEndpoint
from registry.models.outbox import OutboxStatus
from registry.timeutil import iso, utcnow

log = logging.getLogger(__name__)

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
    base = {
        "recruiter": {
            "public_id": recruiter.public_id,
            "legal_name": recruiter.legal_name,
            "country": recruiter.country,
        },
        **data,
    }
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
        for (follower_id,) in session.exec(
            select(Follower.id).where(Follower.recruiter_id == recruiter.id)
        ).all():
            rows.append({"channel": "bot", "target_id": follower_id})
    if not rows:
        return 0
    session.execute(
        insert(OutboxMessage),
        [
            {
                **r,
                "message_id": new_message_id(),
                "event_type": event_type,
                "payload": {"type": event_type, "created_at": iso(now), "data": base},
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
            for r in rows
        ],
    )
    session.info.setdefault("outbox_written", 0)
    session.info["outbox_written"] += len(rows)
    return len(rows)


# --- fan-out for many recruiters at once (checks, imports) ------------------------------------

_CHUNK = 900


def emit_many(session: Session, event_type: str, items: list[tuple[int, dict]]) -> int:
    """Queue one `event_type` event per (recruiter_id, data) item, with a fixed number of queries."""
    assert event_type in EVENT_TYPES, event_type
    if not items:
        return 0
    ids = sorted({rid for rid, _ in items})
    recs: dict[int, dict] = {}
    endpoints: dict[int, list[int]] = defaultdict(list)
    followers: dict[int, list[int]] = defaultdict(list)
    for i in range(0, len(ids), _CHUNK):
        chunk = ids[i : i + _CHUNK]
        for rid, pid, name, country in session.execute(
            select(Recruiter.id, Recruiter.public_id, Recruiter.legal_name, Recruiter.country).where(
                Recruiter.id.in_(chunk)
            )
        ):
            recs[rid] = {"public_id": pid, "legal_name": name, "country": country}
        for rid, eid, events in session.execute(
            select(SupplierLink.recruiter_id, WebhookEndpoint.id, WebhookEndpoint.events)
            .join(WebhookEndpoint, WebhookEndpoint.company_id == SupplierLink.company_id)
            .where(SupplierLink.recruiter_id.in_(chunk), WebhookEndpoint.active.is_(True))
            .order_by(WebhookEndpoint.id)
        ):
            if event_type in (events or []):
                endpoints[rid].append(eid)
        if event_type in BOT_EVENTS:
            for rid, fid in session.execute(
                select(Follower.recruiter_id, Follower.id).where(Follower.recruiter_id.in_(chunk))
            ):
                followers[rid].append(fid)
    now = utcnow()
    rows = []
    for rid, data in items:
        if rid not in recs:
            continue
        payload = {"type": event_type, "created_at": iso(now), "data": {"recruiter": recs[rid], **data}}
        targets = [("webhook", e) for e in endpoints.get(rid, ())] + [
            ("bot", f) for f in followers.get(rid, ())
        ]
        for channel, target in targets:
            rows.append(
                {
                    "channel": channel,
                    "target_id": target,
                    "message_id": new_message_id(),
                    "event_type": event_type,
                    "payload": payload,
                    "status": OutboxStatus.pending,
                    "attempts": 0,
                    "next_attempt_at": now,
                    "created_at": now,
                }
            )
    for i in range(0, len(rows), 1000):
        session.execute(insert(OutboxMessage), rows[i : i + 1000])
    if rows:
        session.info["outbox_written"] = session.info.get("outbox_written", 0) + len(rows)
    return len(rows)


# --- after-commit hook: the edge may start a dispatch once the change is committed -------------

_commit_hook: Callable[[], None] | None = None


def set_commit_hook(hook: Callable[[], None] | None) -> None:
    """Call `hook()` after every commit that wrote outbox messages (e.g. to enqueue a dispatch task).

    The hook must not raise; a failure (broker down) only delays delivery until the next sweep.
    """
    global _commit_hook
    _commit_hook = hook


@event.listens_for(SASession, "after_commit")
def _after_commit(session) -> None:
    written = session.info.pop("outbox_written", 0)
    if written and _commit_hook is not None:
        try:
            _commit_hook()
        except Exception:  # noqa: BLE001 - the sweep catches what the hook could not start
            log.warning("could not start outbox dispatch after commit; the sweep will deliver", exc_info=True)


@event.listens_for(SASession, "after_rollback")
def _after_rollback(session) -> None:
    session.info.pop("outbox_written", None)


# --- dispatcher ---------------------------------------------------------------------------------

SIGNATURE_HEADER = "FairRecruit-Signature"


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


STATUS_WORDS = {
    "accredited": "ACCREDITED",
    "suspended": "SUSPENDED",
    "expired": "EXPIRED",
    "withdrawn": "WITHDRAWN",
    "applicant": "an applicant (not accredited)",
    "rejected": "REJECTED (not accredited)",
}


def bot_text(msg: OutboxMessage) -> str:
    """The follower's notification (no worker identity; only the recruiter's public status)."""
    data = (msg.payload or {}).get("data", {})
    rec = data.get("recruiter", {})
    to = STATUS_WORDS.get(data.get("to"), data.get("to", "changed"))
    return (
        f"FairRecruit: {rec.get('legal_name', '')} ({rec.get('public_id', '')}) is now {to}.\n"
        f"Check the details with /verify {rec.get('public_id', '')}"
    )


@dataclass
class Outcome:
    ok: bool
    permanent: bool = False
    error: str = ""
    retry_after: float | None = None


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
        select(OutboxMessage.id)
        .where(OutboxMessage.status == OutboxStatus.pending, OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(1)
    )
    if session.get_bind().dialect.name == "postgresql":
        sub = sub.with_for_update(skip_locked=True)
    mid = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == sub.scalar_subquery(), OutboxMessage.status == OutboxStatus.pending)
        .values(next_attempt_at=now + timedelta(seconds=lease_seconds))
        .returning(OutboxMessage.id)
    ).scalar()
    if mid is None:
        return None
    return session.get(OutboxMessage, mid, populate_existing=True)


TextFn = Callable[[str, dict], str]  # (follower language, payload) -> message text


def build_request(
    session: Session, msg: OutboxMessage, settings, text_fn: TextFn | None = None
) -> Request | Outcome:
    if msg.channel == "webhook":
        ep = session.get(WebhookEndpoint, msg.target_id)
        if ep is None or not ep.active:
            return Outcome(False, permanent=True, error="webhook endpoint removed or disabled")
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
        follower = session.get(Follower, msg.target_id)
        if follower is None:
            return Outcome(False, permanent=True, error="follower no longer exists (chat erased)")
        if not settings.telegram_bot_token:
            return Outcome(False, error="no Telegram bot token configured")
        text = text_fn(follower.language, msg.payload or {}) if text_fn else bot_text(msg)
        body = json.dumps({"chat_id": follower.chat_id, "text": text}, ensure_ascii=False)
        url = f"{settings.telegram_api_base_url}{settings.telegram_bot_token}/sendMessage"
        return Request(msg.id, "bot", url, {"Content-Type": "application/json"}, body)
    return Outcome(False, permanent=True, error=f"unknown channel {msg.channel!r}")


def send(client: httpx.Client, req: Request) -> Outcome:
    """Perform the HTTP call (outside any database transaction)."""
    try:
        resp = client.post(req.url, content=req.body.encode(), headers=req.headers)
    except httpx.HTTPError as e:
        if req.channel == "bot":  # the Bot API URL carries the token: never store or log it
            return Outcome(False, error=f"{type(e).__name__} calling the Bot API")
        return Outcome(False, error=f"{type(e).__name__}: {e}"[:500])
    if 200 <= resp.status_code < 300:
        return Outcome(True)
    if req.channel == "bot":
        try:
            retry_after = (resp.json().get("parameters") or {}).get("retry_after")
        except (ValueError, AttributeError):
            retry_after = None
        # 400 chat not found / 403 bot blocked: this follower cannot be reached any more.
        permanent = resp.status_code in (400, 403)
        return Outcome(
            False,
            permanent=permanent,
            error=f"Bot API answered {resp.status_code}",
            retry_after=float(retry_after) if retry_after else None,
        )
    return Outcome(False, error=f"receiver answered HTTP {resp.status_code}")


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
        msg.last_error = outcome.error[:1000]
        delay = backoff_delay(
            msg.attempts, settings.outbox_backoff_base_seconds, settings.webhook_max_backoff_seconds
        )
        if outcome.retry_after:
            delay = max(delay, outcome.retry_after)
        created = msg.created_at if msg.created_at.tzinfo else msg.created_at.replace(tzinfo=now.tzinfo)
        horizon = created + timedelta(seconds=settings.webhook_max_backoff_seconds)
        if outcome.permanent or now + timedelta(seconds=delay) > horizon:
            msg.status = OutboxStatus.dead
            _dead_letter_alert(session, msg)
        else:
            msg.next_attempt_at = now + timedelta(seconds=delay)
    session.flush()
    return msg.status


def _dead_letter_alert(session: Session, msg: OutboxMessage) -> None:
    from registry.services import alerts

    if msg.last_error and "chat erased" in msg.last_error:
        return  # nothing to do for an erased follower
    alerts.raise_alert(
        session,
        key=f"outbox_dead:{msg.message_id}",
        kind="delivery_dead",
        recruiter_id=None,
        details={
            "message_id": msg.message_id,
            "channel": msg.channel,
            "target_id": msg.target_id,
            "event_type": msg.event_type,
            "attempts": msg.attempts,
            "error": msg.last_error,
        },
    )


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
        select(func.min(OutboxMessage.next_attempt_at)).where(OutboxMessage.status == OutboxStatus.pending)
    )
    if nxt is None:
        return None
    if nxt.tzinfo is None:
        nxt = nxt.replace(tzinfo=now.tzinfo)
    return max(0.0, (nxt - now).total_seconds())


def dispatch_due(
    engine,
    settings,
    *,
    limit: int = 500,
    client: httpx.Client | None = None,
    time_budget: float = 240.0,
    text_fn: TextFn | None = None,
) -> DispatchResult:
    """Deliver due messages one by one: claim (commit), HTTP call (no transaction open), record (commit).

    Each step is its own unit of work, so a crash between them leaves the message pending; its lease
    runs out and it is delivered again (at least once; receivers de-duplicate on the message id).
    `text_fn(language, payload)` renders bot messages in the follower's language (English otherwise).
    """
    from registry.db import session_scope

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
                req = build_request(s, msg, settings, text_fn)
            outcome = req if isinstance(req, Outcome) else send(client, req)
            with session_scope(engine, write=True) as s:
                status = record(s, msg.id, outcome, settings)
            if status == OutboxStatus.delivered:
                result.delivered += 1
            elif status == OutboxStatus.dead:
                result.dead += 1
                log.warning(
                    "outbox message %s is dead after %s attempts: %s",
                    msg.message_id,
                    msg.attempts + 1,
                    outcome.error,
                )
            else:
                result.failed += 1
        with session_scope(engine) as s:
            result.next_due_in = next_due_in(s)
    finally:
        if own:
            client.close()
    return result


def undelivered(session: Session, now: datetime | None = None) -> int:
    """How many pending messages are due now (what the sweep re-enqueues)."""
    now = now or utcnow()
    return (
        session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.status == OutboxStatus.pending, OutboxMessage.next_attempt_at <= now)
        )
        or 0
    )
