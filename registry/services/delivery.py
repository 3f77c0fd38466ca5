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
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

import httpx
from sqlalchemy import func, select, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from registry import notifications
from registry.db import session_scope
from registry.models import CaseSubscription, Follower, OutboxMessage, WebhookEndpoint
from registry.models.outbox import OutboxStatus
from registry.services import circuits, outbox, webhook_targets
from registry.settings import Settings
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
    address_refused = "address_refused"  # the receiver's host is (or now resolves to) a non-public address
    unresolvable = "unresolvable"  # the receiver's host name could not be resolved


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
    Reason.address_refused: "the receiver's address is not a public address",
    Reason.unresolvable: "the receiver's host name could not be resolved",
}

# Failures that say something about the receiver (or the Bot API), not about one message: they count
# towards the lane's circuit breaker.
LANE_FAILURES = frozenset(
    {
        Reason.http_error,
        Reason.timeout,
        Reason.connect_error,
        Reason.transport_error,
        Reason.bot_api_error,
        Reason.address_refused,
        Reason.unresolvable,
        Reason.no_bot_token,
    }
)


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


def _lane_conditions(lane: str | None) -> list:
    if lane is None:
        return []
    channel, _, target = lane.partition(":")
    if channel == "webhook":
        return [col(OutboxMessage.channel) == "webhook", col(OutboxMessage.target_id) == int(target)]
    if lane == circuits.BOT_LANE:
        return [col(OutboxMessage.channel) == "bot"]
    return [col(OutboxMessage.channel) == target]


def claim_one(
    session: Session, *, lease_seconds: float, now: datetime | None = None, lane: str | None = None
) -> OutboxMessage | None:
    """Take the next due message (of `lane`, or of any lane) in one atomic UPDATE; it stays pending but
    is leased for a while."""
    now = now or utcnow()
    sub = (
        select(col(OutboxMessage.id))
        .where(
            col(OutboxMessage.status) == OutboxStatus.pending,
            col(OutboxMessage.next_attempt_at) <= now,
            *_lane_conditions(lane),
        )
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


def send(client: httpx.Client, req: Request, settings) -> Outcome:
    """Perform the HTTP call (outside any database transaction). A webhook's host is resolved and
    checked first (``webhook_targets``), and the request goes to the checked address."""
    url, headers = req.url, req.headers
    extensions: dict = {}
    if req.channel == "webhook":
        try:
            target = webhook_targets.resolve_target(
                req.url, production=settings.is_production, allow_private=settings.webhook_allow_private
            )
        except webhook_targets.TargetRefused as refused:
            reason = Reason.unresolvable if refused.code == "url_unresolvable" else Reason.address_refused
            return Outcome(False, reason)
        url, pinned_headers, extensions = webhook_targets.pinned_request(target)
        headers = {**req.headers, **pinned_headers}
    try:
        resp = client.post(url, content=req.body.encode(), headers=headers, extensions=extensions)
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
    lane = circuits.lane_of(msg.channel, msg.target_id)
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
    status = msg.status
    if outcome.ok:
        circuits.succeeded(session, lane, now)
    elif outcome.reason in LANE_FAILURES:
        circuits.failed(session, lane, outcome.code, settings, now)
    session.flush()
    return status


def raise_dead_letter_alert(session: Session, msg: OutboxMessage) -> None:
    """Show admins a message that will not be delivered (alert `delivery_dead`): one open alert per
    lane (webhook endpoint, Bot API), not one per message."""
    circuits.raise_once(
        session,
        circuits.lane_of(msg.channel, msg.target_id),
        DEAD_LETTER_ALERT,
        stamp=msg.message_id,
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


def due_lanes(
    session: Session, now: datetime | None = None, *, limit: int = 1000, include_open: bool = False
) -> list[str]:
    """The lanes with a message due now (webhook endpoints, the Bot API, others) whose circuit is closed
    (or, with include_open, whatever their circuit)."""
    now = now or utcnow()
    due = [col(OutboxMessage.status) == OutboxStatus.pending, col(OutboxMessage.next_attempt_at) <= now]
    lanes = [
        circuits.lane_of("webhook", target)
        for (target,) in session.execute(
            select(col(OutboxMessage.target_id))
            .where(*due, col(OutboxMessage.channel) == "webhook")
            .group_by(col(OutboxMessage.target_id))
            .order_by(func.min(col(OutboxMessage.next_attempt_at)))
            .limit(limit)
        )
    ]
    for (channel,) in session.execute(
        select(col(OutboxMessage.channel)).where(*due, col(OutboxMessage.channel) != "webhook").distinct()
    ):
        lanes.append(circuits.lane_of(channel, 0))
    if include_open:
        return lanes
    closed = circuits.open_lanes(session, now)
    return [lane for lane in lanes if lane not in closed]


@dataclass
class _Run:
    """What the lanes of one dispatch share: the settings, the budget and the tally."""

    engine: Engine
    settings: Settings
    limit: int
    deadline: float
    client: httpx.Client | None
    result: DispatchResult = field(default_factory=DispatchResult)
    taken: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self) -> bool:
        with self.lock:
            if self.taken >= self.limit or time.monotonic() > self.deadline:
                return False
            self.taken += 1
            return True

    def count(self, status: str) -> None:
        with self.lock:
            if status == OutboxStatus.delivered:
                self.result.delivered += 1
            elif status == OutboxStatus.dead:
                self.result.dead += 1
            else:
                self.result.failed += 1


def new_client(settings) -> httpx.Client:
    """The HTTP client of one lane: a short connect timeout, redirects never followed; webhooks ignore
    proxy settings of the environment (the request must go to the checked address)."""
    timeout = httpx.Timeout(
        settings.webhook_timeout_seconds, connect=settings.webhook_connect_timeout_seconds
    )
    return httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False)


def _drain_lane(run: _Run, lane: str) -> None:
    """Deliver the due messages of one lane, one after the other, until none is due, its circuit opens
    or the run's budget is spent: claim (commit), HTTP call (no transaction open), record (commit)."""
    engine, settings = run.engine, run.settings
    lease = settings.webhook_timeout_seconds + settings.webhook_connect_timeout_seconds + 30
    client = run.client or new_client(settings)
    try:
        while run.take():
            with session_scope(engine, write=True) as s:
                msg = claim_one(s, lease_seconds=lease, lane=lane)
                if msg is None:
                    return
                req = build_request(s, msg, settings)
            outcome = req if isinstance(req, Outcome) else send(client, req, settings)
            with session_scope(engine, write=True) as s:
                if msg.id is None:
                    raise RuntimeError("msg.id is not None")
                status = record(s, msg.id, outcome, settings)
                tripped = not outcome.ok and circuits.is_open(s, lane)
            run.count(status)
            if status == OutboxStatus.dead:
                log.warning(
                    "outbox message %s is dead after %s attempts: %s",
                    msg.message_id,
                    msg.attempts + 1,
                    describe(outcome.code, msg.channel),
                )
            if tripped:
                log.warning("delivery lane %s: circuit open after repeated failures", lane)
                return
    finally:
        if run.client is None:
            client.close()


LANE_POLL_SECONDS = 0.2  # while lanes run, how often to look for lanes that became due


def dispatch_due(
    engine,
    settings,
    *,
    limit: int = 500,
    client: httpx.Client | None = None,
    time_budget: float = 240.0,
) -> DispatchResult:
    """Deliver due messages, each lane on its own thread (at most ``delivery_lanes`` at once): a receiver
    that hangs holds up only its own lane, and lanes that become due meanwhile start at once.

    Each step of an attempt is its own unit of work, so a crash between them leaves the message pending;
    its lease runs out and it is delivered again (at least once; receivers de-duplicate on the message
    id).
    """
    run = _Run(engine, settings, limit, time.monotonic() + time_budget, client)
    running: dict[str, Future] = {}
    with ThreadPoolExecutor(max_workers=settings.delivery_lanes, thread_name_prefix="delivery") as pool:
        while True:
            for lane, future in list(running.items()):
                if future.done():
                    del running[lane]
                    if (error := future.exception()) is not None:
                        log.error("delivery lane %s stopped: %s", lane, type(error).__name__, exc_info=error)
            if run.taken < run.limit and time.monotonic() <= run.deadline:
                with session_scope(engine) as s:
                    candidates = due_lanes(s, include_open=True)
                    closed = circuits.open_lanes(s)
                lanes = [lane for lane in candidates if lane not in closed]
                if len(lanes) < len(
                    candidates
                ):  # messages queued to a lane after its circuit opened wait with the rest
                    with session_scope(engine, write=True) as s:
                        circuits.hold_open_lanes(s)
                for lane in lanes:
                    if lane not in running and len(running) < settings.delivery_lanes:
                        running[lane] = pool.submit(_drain_lane, run, lane)
            if not running:
                break
            wait(list(running.values()), timeout=LANE_POLL_SECONDS, return_when=FIRST_COMPLETED)
    with session_scope(engine) as s:
        run.result.next_due_in = next_due_in(s)
    return run.result
