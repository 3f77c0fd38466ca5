"""Transactional outbox: outgoing messages are rows written in the same transaction as the change.

``emit_many`` fans events out, set-based, to every webhook endpoint of every company that lists the
recruiter and subscribes to the event type, and (for status changes) to every chat that follows the
recruiter; ``emit`` is the same for one recruiter. After a commit that wrote messages, the hook that
the entry point installed (``install_dispatch_after_commit``) asks a worker to deliver them; delivery
itself (claim, sign, send, record) is ``registry.services.delivery``.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    JSON,
    Integer,
    String,
    cast,
    event,
    insert,
    literal,
    literal_column,
    null,
    select,
    union_all,
)
from sqlalchemy.orm import Session as SASession
from sqlmodel import Session, col

from registry import taskqueue
from registry.models import (
    CaseSubscription,
    FeeReport,
    Follower,
    OutboxMessage,
    Recruiter,
    SupplierLink,
    WebhookEndpoint,
    table_of,
)
from registry.models.outbox import OutboxStatus
from registry.services import bulk
from registry.services.sets import among_values, in_values, value_batches
from registry.timeutil import iso, utcnow

log = logging.getLogger(__name__)

STATUS_CHANGED = "recruiter.status_changed"
LICENCE_CHANGED = "recruiter.licence_changed"
ALERT_RAISED = "recruiter.alert_raised"
EVENT_TYPES = (STATUS_CHANGED, LICENCE_CHANGED, ALERT_RAISED)
# Which events workers who follow a recruiter hear about through the bot.
BOT_EVENTS = (STATUS_CHANGED,)
# To the chat that sent a fee report (its CaseSubscription), never to a webhook: the report was decided.
CASE_DECIDED = "case.decided"

_INSERT_BATCH = 1000
_WRITTEN = "outbox_written"  # session.info key: messages written in the open transaction


def new_message_id() -> str:
    return "msg_" + uuid.uuid4().hex


def emit(session: Session, event_type: str, recruiter: Recruiter, data: dict) -> int:
    """Queue `event_type` about `recruiter` for every subscriber. Returns the number of messages."""
    if recruiter.id is None:
        raise RuntimeError("recruiter.id is not None")
    return emit_many(session, event_type, [(recruiter.id, data)])


def emit_many(session: Session, event_type: str, items: Iterable[tuple[int, dict]]) -> int:
    """Queue one `event_type` event per (recruiter_id, data) item, with a fixed number of queries.

    Each event's payload is ``{"type", "created_at", "data": {"recruiter": {public_id, legal_name,
    country}, **data}}``. Returns the number of messages written.
    """
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {event_type!r}; one of: {', '.join(EVENT_TYPES)}")
    items = list(items)
    if not items:
        return 0
    recruiters, endpoints, followers = _subscribers(session, event_type, sorted({rid for rid, _ in items}))
    now = utcnow()
    created_at = iso(now)
    rows: list[dict] = []
    for rid, data in items:
        if rid not in recruiters:
            continue
        payload = {
            "type": event_type,
            "created_at": created_at,
            "data": {"recruiter": recruiters[rid], **data},
        }
        targets = [("webhook", e) for e in endpoints.get(rid, ())] + [
            ("bot", f) for f in followers.get(rid, ())
        ]
        rows.extend(
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
            for channel, target in targets
        )
    conn = session.connection()
    for i in range(0, len(rows), _INSERT_BATCH):
        bulk.insert_rows(conn, table_of(OutboxMessage), rows[i : i + _INSERT_BATCH])
    _count_written(session, len(rows))
    return len(rows)


def emit_case_decided(session: Session, report: FeeReport, *, revised: bool = False) -> int:
    """Queue a bot message to every chat subscribed to `report` (``CaseSubscription``): the report was
    triaged (or its decision revised). The payload carries the case code and the decision only; the
    message targets the subscription, so the chat id stays in that one table. Returns the count."""
    now = utcnow()
    payload = {
        "type": CASE_DECIDED,
        "created_at": iso(now),
        "data": {"case_code": report.case_code, "status": report.triage_status, "revised": revised},
    }
    rows = [
        {
            "channel": "bot",
            "target_id": sid,
            "message_id": new_message_id(),
            "event_type": CASE_DECIDED,
            "payload": payload,
            "status": OutboxStatus.pending,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for sid in session.scalars(
            select(col(CaseSubscription.id))
            .where(col(CaseSubscription.report_id) == report.id)
            .order_by(col(CaseSubscription.id))
        )
    ]
    if rows:
        session.execute(insert(OutboxMessage), rows)
        _count_written(session, len(rows))
    return len(rows)


@lru_cache(maxsize=8)
def _subscriber_statement(dialect: str, with_followers: bool):
    """The reads of `_subscribers` in one statement (one round trip instead of three), built once per
    dialect: kind 0 is a recruiter's summary, 1 one of its active webhook endpoints (in endpoint order),
    2 one of its followers (in follower order; only for the bot's events). The ids are a parameter."""
    no_text, no_id, no_events = cast(null(), String), cast(null(), Integer), cast(null(), JSON)
    parts = [
        select(
            literal(0, Integer).label("kind"),
            col(Recruiter.id).label("recruiter_id"),
            no_id.label("target"),
            col(Recruiter.public_id).label("public_id"),
            col(Recruiter.legal_name).label("legal_name"),
            col(Recruiter.country).label("country"),
            no_events.label("events"),
        ).where(in_values(col(Recruiter.id), "ids", dialect)),
        select(
            literal(1, Integer),
            col(SupplierLink.recruiter_id),
            col(WebhookEndpoint.id),
            no_text,
            no_text,
            no_text,
            col(WebhookEndpoint.events),
        )
        .join(WebhookEndpoint, col(WebhookEndpoint.company_id) == col(SupplierLink.company_id))
        .where(
            among_values(col(SupplierLink.recruiter_id), "ids", dialect),
            col(WebhookEndpoint.active).is_(True),
        ),
    ]
    if with_followers:
        parts.append(
            select(
                literal(2, Integer),
                col(Follower.recruiter_id),
                col(Follower.id),
                no_text,
                no_text,
                no_text,
                no_events,
            ).where(among_values(col(Follower.recruiter_id), "ids", dialect))
        )
    return union_all(*parts).order_by(literal_column("kind"), literal_column("target"))


def _subscribers(session: Session, event_type: str, ids: list[int]):
    """(recruiter summary, webhook endpoint ids, follower ids) of each recruiter id, chunk by chunk."""
    # keyed by recruiter id (the driver's rows type their columns as optional: Any here)
    recruiters: dict[Any, dict] = {}
    endpoints: dict[Any, list[Any]] = defaultdict(list)
    followers: dict[Any, list[Any]] = defaultdict(list)
    session.flush()  # what the caller added (a follower, a link) is read, as through session.execute
    conn = session.connection()  # Core statements of columns: the ORM adds nothing to them
    dialect = conn.dialect.name
    stmt = _subscriber_statement(dialect, event_type in BOT_EVENTS)
    for batch in value_batches(dialect, ids):  # one on PostgreSQL and SQLite
        for kind, rid, target, pid, name, country, events in conn.execute(stmt, {"ids": batch}).all():
            if kind == 0:
                recruiters[rid] = {"public_id": pid, "legal_name": name, "country": country}
            elif kind == 1:
                if event_type in (events or []):
                    endpoints[rid].append(target)
            else:
                followers[rid].append(target)
    return recruiters, endpoints, followers


# --- after commit: the entry point's hook starts a delivery once the change is committed ----------

_commit_hook: Callable[[], Any] | None = None


def set_commit_hook(hook: Callable[[], Any] | None) -> Callable[[], Any] | None:
    """Call `hook()` after every commit that wrote outbox messages; returns the hook it replaces.

    The hook must not hold the commit up; if it raises (broker down), the error is logged and the
    beat sweep delivers the messages later.
    """
    global _commit_hook
    previous, _commit_hook = _commit_hook, hook
    return previous


def commit_hook() -> Callable[[], Any] | None:
    """The hook installed in this process (None: messages wait for the sweep)."""
    return _commit_hook


def install_dispatch_after_commit(settings, app=None) -> Callable[[], None]:
    """What every entry point (web worker, CLI, Celery worker, bot) calls once: after each commit that
    wrote outbox messages, enqueue the dispatch task on the broker of `settings` (through `app` when
    the process has a Celery app already; otherwise a sending-only app, made at the first such commit).
    Returns a function that puts the previous hook back."""
    senders = [app] if app is not None else []

    def enqueue_dispatch() -> bool:
        if not senders:
            senders.append(taskqueue.client(settings))
        return taskqueue.enqueue(senders[0], taskqueue.DISPATCH_OUTBOX)

    previous = set_commit_hook(enqueue_dispatch)

    def uninstall() -> None:
        set_commit_hook(previous)

    return uninstall


def _count_written(session, n: int) -> None:
    if n:
        session.info[_WRITTEN] = session.info.get(_WRITTEN, 0) + n


@event.listens_for(SASession, "after_flush")
def _after_flush(session, _flush_context) -> None:
    # Messages added as ORM objects (e.g. a webhook's test event) count like those emit() inserts.
    _count_written(session, sum(1 for obj in session.new if isinstance(obj, OutboxMessage)))


@event.listens_for(SASession, "after_commit")
def _after_commit(session) -> None:
    written = session.info.pop(_WRITTEN, 0)
    hook = _commit_hook
    if written and hook is not None:
        try:
            hook()
        except Exception:  # noqa: BLE001 - the sweep catches what the hook could not start
            log.warning("could not start outbox dispatch after commit; the sweep will deliver", exc_info=True)


@event.listens_for(SASession, "after_rollback")
def _after_rollback(session) -> None:
    session.info.pop(_WRITTEN, None)
