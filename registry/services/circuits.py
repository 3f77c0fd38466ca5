"""Delivery lanes and their circuit breakers: one bad receiver harms no one else.

Every webhook endpoint is a lane of its own (``webhook:<id>``) and the Bot API is one more (``bot``);
the dispatcher (``registry.services.delivery``) runs lanes side by side. Each lane has a circuit breaker
stored in the database (``DeliveryCircuit``): after ``webhook_circuit_failures`` failed attempts in a row
the circuit opens and every pending message of the lane waits until it closes (the wait doubles with
each opening, up to ``webhook_max_backoff_seconds``); then one attempt probes the receiver. A success
closes the circuit.

Admins hear of a failing lane once: while an alert about the lane is open (``delivery_failing`` when its
circuit opens, ``delivery_dead`` when one of its messages is given up), no other is raised. A webhook
endpoint that has failed without a success for ``webhook_disable_after_days`` is disabled, with an
alert (``webhook_disabled``). An admin can deliver a dead message again (:func:`redeliver`).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlmodel import Session, col

from registry.errors import Conflict, NotFound
from registry.models import Alert, DeliveryCircuit, OutboxMessage, WebhookEndpoint
from registry.models.outbox import OutboxStatus
from registry.services import alerts, auditlog
from registry.timeutil import iso, utcnow

log = logging.getLogger(__name__)

BOT_LANE = "bot"
FAILING_ALERT = "delivery_failing"
DEAD_ALERT = "delivery_dead"
DISABLED_ALERT = "webhook_disabled"
ACTOR = "system:delivery"


def lane_of(channel: str, target_id: int) -> str:
    """The lane of a message: its webhook endpoint, or the Bot API (every chat goes through it)."""
    if channel == "webhook":
        return f"webhook:{target_id}"
    if channel == "bot":
        return BOT_LANE
    return f"other:{channel}"


def _aware(moment: datetime | None, now: datetime) -> datetime | None:
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=now.tzinfo)


def is_open(session: Session, lane: str, now: datetime | None = None) -> bool:
    now = now or utcnow()
    circuit = session.get(DeliveryCircuit, lane)
    until = _aware(circuit.open_until, now) if circuit else None
    return until is not None and until > now


def open_lanes(session: Session, now: datetime | None = None) -> set[str]:
    now = now or utcnow()
    return set(
        session.scalars(select(col(DeliveryCircuit.lane)).where(col(DeliveryCircuit.open_until) > now))
    )


def succeeded(session: Session, lane: str, now: datetime | None = None) -> None:
    """A message of `lane` was delivered: close its circuit and resolve its `delivery_failing` alert."""
    circuit = session.get(DeliveryCircuit, lane)
    if circuit is None or (circuit.failures == 0 and circuit.failing_since is None):
        return
    now = now or utcnow()
    circuit.failures = 0
    circuit.opened = 0
    circuit.failing_since = None
    circuit.open_until = None
    circuit.updated_at = now
    for alert in _open_alerts(session, lane, kinds=(FAILING_ALERT,)):
        alerts.resolve(session, alert, actor=ACTOR)


def failed(session: Session, lane: str, error: str | None, settings, now: datetime | None = None) -> bool:
    """An attempt in `lane` failed (the receiver's fault, not the message's). Returns True when this
    opened the circuit: the lane's pending messages then wait until it closes."""
    now = now or utcnow()
    circuit = _locked(session, lane, now)
    circuit.failures = (circuit.failures or 0) + 1
    circuit.failing_since = _aware(circuit.failing_since, now) or now
    circuit.last_error = error
    circuit.updated_at = now
    opened = False
    if circuit.failures >= settings.webhook_circuit_failures:
        wait = min(
            settings.webhook_circuit_open_seconds * 2 ** min(circuit.opened or 0, 30),
            float(settings.webhook_max_backoff_seconds),
        )
        circuit.opened = (circuit.opened or 0) + 1
        circuit.failures = 0
        circuit.open_until = now + timedelta(seconds=wait)
        opened = True
        _hold(session, lane, circuit.open_until)
        raise_once(
            session,
            lane,
            FAILING_ALERT,
            stamp=iso(now),
            details={
                "lane": lane,
                "reason": error,
                "open_until": iso(circuit.open_until),
                **_about(session, lane),
            },
        )
    session.flush()
    if lane.startswith("webhook:"):
        _disable_if_failing_too_long(session, lane, circuit, settings, now)
    return opened


def _locked(session: Session, lane: str, now: datetime) -> DeliveryCircuit:
    """The lane's circuit row, created when missing (by whichever process comes first) and locked for
    this transaction on PostgreSQL, so two workers failing at once count both failures."""
    dialect = session.get_bind().dialect.name
    values = {"lane": lane, "failures": 0, "opened": 0, "updated_at": now}
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        session.execute(pg_insert(DeliveryCircuit).values(**values).on_conflict_do_nothing())
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        session.execute(sqlite_insert(DeliveryCircuit).values(**values).on_conflict_do_nothing())
    stmt = select(DeliveryCircuit).where(col(DeliveryCircuit.lane) == lane)
    if dialect == "postgresql":
        stmt = stmt.with_for_update()
    return session.scalars(stmt.execution_options(populate_existing=True)).one()


def hold_open_lanes(session: Session, now: datetime | None = None) -> int:
    """Messages that became due in a lane whose circuit is open (queued after it opened) wait for it
    too. Returns the number of lanes that had such messages."""
    now = now or utcnow()
    held = 0
    for circuit in session.scalars(select(DeliveryCircuit).where(col(DeliveryCircuit.open_until) > now)):
        channel, _, target = circuit.lane.partition(":")
        conds = [col(OutboxMessage.status) == OutboxStatus.pending, col(OutboxMessage.next_attempt_at) <= now]
        if channel == "webhook":
            conds += [col(OutboxMessage.channel) == "webhook", col(OutboxMessage.target_id) == int(target)]
        elif circuit.lane == BOT_LANE:
            conds.append(col(OutboxMessage.channel) == "bot")
        else:
            continue
        if session.execute(
            update(OutboxMessage).where(*conds).values(next_attempt_at=circuit.open_until)
        ).rowcount:  # type: ignore[attr-defined]
            held += 1
    return held


def _hold(session: Session, lane: str, until: datetime) -> None:
    """Every pending message of `lane` waits until `until`."""
    channel, _, target = lane.partition(":")
    conds = [col(OutboxMessage.status) == OutboxStatus.pending, col(OutboxMessage.next_attempt_at) < until]
    if channel == "webhook":
        conds += [col(OutboxMessage.channel) == "webhook", col(OutboxMessage.target_id) == int(target)]
    elif channel == BOT_LANE:
        conds.append(col(OutboxMessage.channel) == "bot")
    else:
        return
    session.execute(update(OutboxMessage).where(*conds).values(next_attempt_at=until))


def _disable_if_failing_too_long(
    session: Session, lane: str, circuit: DeliveryCircuit, settings, now
) -> None:
    since = _aware(circuit.failing_since, now)
    if since is None or now - since < timedelta(days=settings.webhook_disable_after_days):
        return
    endpoint = session.get(WebhookEndpoint, int(lane.partition(":")[2]))
    if endpoint is None or not endpoint.active:
        return
    endpoint.active = False
    log.warning("webhook endpoint %s disabled: failing since %s", endpoint.id, iso(since))
    alerts.raise_alert(
        session,
        key=f"{DISABLED_ALERT}:{endpoint.id}:{iso(now)}",
        kind=DISABLED_ALERT,
        recruiter_id=None,
        details={
            "lane": lane,
            "webhook_id": endpoint.id,
            "company_id": endpoint.company_id,
            "url": endpoint.url,
            "failing_since": iso(since),
            "days": settings.webhook_disable_after_days,
            "reason": circuit.last_error,
        },
    )
    session.flush()


def _about(session: Session, lane: str) -> dict:
    if lane.startswith("webhook:"):
        endpoint = session.get(WebhookEndpoint, int(lane.partition(":")[2]))
        if endpoint is not None:
            return {"webhook_id": endpoint.id, "company_id": endpoint.company_id, "url": endpoint.url}
    return {}


def _prefixes(lane: str) -> tuple[str, str]:
    return f"{FAILING_ALERT}:{lane}:", f"{DEAD_ALERT}:{lane}:"


def _open_alerts(session: Session, lane: str, kinds=(FAILING_ALERT, DEAD_ALERT)) -> list[Alert]:
    prefixes = [p for p, k in zip(_prefixes(lane), (FAILING_ALERT, DEAD_ALERT), strict=True) if k in kinds]
    return list(
        session.scalars(
            select(Alert).where(
                col(Alert.resolved_at).is_(None),
                or_(*(col(Alert.key).startswith(p, autoescape=True) for p in prefixes)),
            )
        )
    )


def raise_once(session: Session, lane: str, kind: str, *, stamp: str, details: dict) -> Alert | None:
    """Raise alert `kind` about `lane` unless an alert about the lane is open already."""
    if _open_alerts(session, lane):
        return None
    return alerts.raise_alert(
        session, key=f"{kind}:{lane}:{stamp}", kind=kind, recruiter_id=None, details=details
    )


def forget(session: Session, lane: str) -> None:
    """The lane is gone (its endpoint deleted): drop its circuit."""
    session.execute(delete(DeliveryCircuit).where(col(DeliveryCircuit.lane) == lane))


# --- dead letters: an admin asks for another attempt ----------------------------------------------


def redeliver(session: Session, message_pk: int, *, actor: str, now: datetime | None = None) -> OutboxMessage:
    """Give a dead message another life: pending again, due now, with a fresh retry horizon. The audit
    log records who asked."""
    now = now or utcnow()
    msg = session.get(OutboxMessage, message_pk) if 0 < message_pk < 2**31 else None
    if msg is None:
        raise NotFound(
            f"no outgoing message {message_pk}", code="message_not_found", params={"id": message_pk}
        )
    if msg.status != OutboxStatus.dead:
        raise Conflict(
            "only a message that was given up can be delivered again",
            code="message_not_dead",
            params={"id": message_pk, "status": msg.status},
        )
    before = {"status": msg.status, "attempts": msg.attempts, "last_error": msg.last_error}
    msg.status = OutboxStatus.pending
    msg.next_attempt_at = now
    msg.created_at = now  # the retry horizon counts from here; the event keeps its own time
    msg.attempts = 0
    session.flush()
    auditlog.append(
        session.connection(),
        [
            auditlog.PendingEntry(
                actor,
                "redeliver",
                "outbox_message",
                str(msg.id),
                None,
                {
                    "message_id": msg.message_id,
                    "channel": msg.channel,
                    "target_id": msg.target_id,
                    "event_type": msg.event_type,
                    "before": before,
                    "status": [OutboxStatus.dead, OutboxStatus.pending],
                },
            )
        ],
        at=now,
    )
    return msg
