"""Alerts raised by compliance checks, idempotently.

Every alert has a ``key`` naming its subject (``overdue_finding:42``, ``licence:7:cancelled``, ...);
``Alert.key`` is unique, so raising the same alert twice changes nothing the second time. Raising an
alert about a recruiter queues ``recruiter.alert_raised`` for the companies that list it, in the same
transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from registry.errors import NotFound
from registry.models import Alert, Recruiter
from registry.services import outbox, paging
from registry.timeutil import utcnow

CHUNK = 900  # stay below SQLite's bound-parameter limit


@dataclass
class AlertSpec:
    key: str
    kind: str
    recruiter_id: int | None
    details: dict = field(default_factory=dict)


def existing_keys(session: Session, keys: list[str]) -> set[str]:
    found: set[str] = set()
    for i in range(0, len(keys), CHUNK):
        found.update(session.scalars(select(col(Alert.key)).where(col(Alert.key).in_(keys[i : i + CHUNK]))))
    return found


def raise_many(session: Session, specs: list[AlertSpec]) -> list[Alert]:
    """Open the alerts whose key is not open yet; returns the new ones (possibly none)."""
    unique: dict[str, AlertSpec] = {}
    for s in specs:
        unique.setdefault(s.key, s)
    if not unique:
        return []
    for attempt in range(2):
        have = existing_keys(session, list(unique))
        todo = [s for k, s in unique.items() if k not in have]
        if not todo:
            return []
        now = utcnow()
        new = [
            Alert(key=s.key, kind=s.kind, recruiter_id=s.recruiter_id, details=s.details, opened_at=now)
            for s in todo
        ]
        try:
            with session.begin_nested():
                session.add_all(new)
                session.flush()
        except IntegrityError:
            # Someone raised one of them concurrently: look again and insert only the rest.
            if attempt:
                raise
            continue
        outbox.emit_many(
            session,
            outbox.ALERT_RAISED,
            [
                (
                    a.recruiter_id,
                    {
                        "alert": {
                            "id": a.id,
                            "kind": a.kind,
                            "details": a.details,
                            "opened_at": a.opened_at.isoformat().replace("+00:00", "Z"),
                        }
                    },
                )
                for a in new
                if a.recruiter_id is not None
            ],
        )
        return new
    return []


def raise_alert(
    session: Session, *, key: str, kind: str, recruiter_id: int | None, details: dict | None = None
) -> Alert | None:
    """Open one alert; None when an alert with this key already exists."""
    new = raise_many(session, [AlertSpec(key, kind, recruiter_id, details or {})])
    return new[0] if new else None


def resolve(session: Session, alert: Alert, *, actor: str) -> Alert:
    if alert.resolved_at is None:
        alert.resolved_at = utcnow()
        alert.resolved_by = actor
        session.flush()
    return alert


def open_alerts(
    session: Session, *, recruiter_id: int | None = None, kind: str | None = None, limit: int = 200
) -> list[Alert]:
    stmt = select(Alert).where(col(Alert.resolved_at).is_(None))
    if recruiter_id is not None:
        stmt = stmt.where(col(Alert.recruiter_id) == recruiter_id)
    if kind is not None:
        stmt = stmt.where(col(Alert.kind) == kind)
    return list(
        session.scalars(stmt.order_by(col(Alert.opened_at).desc(), col(Alert.id).desc()).limit(limit))
    )


# --- reads (admin panel) ------------------------------------------------------------------------

ALERT_STATES = ("open", "resolved")  # anything else: every alert


def list_page(session: Session, *, state: str, kind: str, page: int, per_page: int) -> paging.ListPage:
    """Alerts, newest first (rows of Alert, public id, legal name); `state` open or resolved, `kind`
    one kind of alert."""
    conds: list[ColumnElement[bool]] = []
    if state == "open":
        conds.append(col(Alert.resolved_at).is_(None))
    elif state == "resolved":
        conds.append(col(Alert.resolved_at).is_not(None))
    if kind:
        conds.append(col(Alert.kind) == kind)
    stmt = (
        select(Alert, col(Recruiter.public_id), col(Recruiter.legal_name))
        .outerjoin(Recruiter, col(Recruiter.id) == col(Alert.recruiter_id))
        .where(*conds)
        .order_by(col(Alert.opened_at).desc(), col(Alert.id).desc())
    )
    total = paging.count_rows(session, Alert, *conds)
    return paging.offset_page(session, stmt, page=page, per_page=per_page, total=total)


def kinds(session: Session) -> list[str]:
    """Every kind of alert ever raised, alphabetically."""
    return [k for (k,) in session.execute(select(col(Alert.kind)).distinct().order_by(col(Alert.kind)))]


def get(session: Session, alert_id: int) -> Alert:
    alert = session.get(Alert, alert_id) if 0 < alert_id < 2**31 else None
    if alert is None:
        raise NotFound(f"no alert {alert_id}", code="alert_not_found", params={"id": alert_id})
    return alert


def of_recruiter(session: Session, recruiter_id: int) -> list[Alert]:
    """Every alert about a recruiter, newest first."""
    return list(
        session.scalars(
            select(Alert).where(col(Alert.recruiter_id) == recruiter_id).order_by(col(Alert.opened_at).desc())
        )
    )


def latest_open(session: Session, *, limit: int) -> list:
    """The newest open alerts: rows of (Alert, public id, legal name)."""
    return list(
        session.execute(
            select(Alert, col(Recruiter.public_id), col(Recruiter.legal_name))
            .outerjoin(Recruiter, col(Recruiter.id) == col(Alert.recruiter_id))
            .where(col(Alert.resolved_at).is_(None))
            .order_by(col(Alert.opened_at).desc())
            .limit(limit)
        ).all()
    )
