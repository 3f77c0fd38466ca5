"""The admin panel's list of audit-log entries: filters and pages, newest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import ColumnElement, select
from sqlmodel import Session, col

from registry.models import AuditLogEntry, Recruiter
from registry.services import identifiers, paging


@dataclass(frozen=True)
class LogFilters:
    """What the audit log can be narrowed by; empty means any. `actor` is text found in the actor's
    name; `recruiter` a public id (an unknown one matches nothing)."""

    entity: str = ""
    action: str = ""
    actor: str = ""
    recruiter: str = ""
    date_from: date | None = None
    date_to: date | None = None


def list_page(session: Session, filters: LogFilters, *, page: int, per_page: int) -> paging.ListPage:
    """Entries, newest first (rows of AuditLogEntry, public id); ``extra["recruiter"]`` is the
    recruiter `filters.recruiter` names, if any."""
    conds: list[ColumnElement[bool]] = []
    if filters.entity:
        conds.append(col(AuditLogEntry.entity) == filters.entity)
    if filters.action in ("create", "update", "delete"):
        conds.append(col(AuditLogEntry.action) == filters.action)
    if filters.actor:
        conds.append(paging.contains(col(AuditLogEntry.actor), filters.actor))
    recruiter = None
    if filters.recruiter:
        pid = identifiers.public_id_key(filters.recruiter)
        recruiter = (
            session.scalars(select(Recruiter).where(col(Recruiter.public_id) == pid)).first() if pid else None
        )
        if recruiter is not None:
            conds.append(col(AuditLogEntry.recruiter_id) == recruiter.id)
        else:  # unknown public id: show nothing rather than everything
            conds.append(col(AuditLogEntry.id) == -1)
    if filters.date_from:
        conds.append(col(AuditLogEntry.at) >= datetime.combine(filters.date_from, time.min, UTC))
    if filters.date_to:
        conds.append(
            col(AuditLogEntry.at) < datetime.combine(filters.date_to + timedelta(days=1), time.min, UTC)
        )
    stmt = (
        select(AuditLogEntry, col(Recruiter.public_id))
        .outerjoin(Recruiter, col(Recruiter.id) == col(AuditLogEntry.recruiter_id))
        .where(*conds)
        .order_by(col(AuditLogEntry.id).desc())
    )
    total = paging.count_rows(session, AuditLogEntry, *conds)
    found = paging.offset_page(session, stmt, page=page, per_page=per_page, total=total)
    found.extra["recruiter"] = recruiter
    return found
