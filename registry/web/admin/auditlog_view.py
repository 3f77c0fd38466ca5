"""Audit-log viewer: filters, entry detail, and the result of hash-chain verification."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta

from flask import render_template, request
from sqlalchemy import func, select
from sqlmodel import Session

from registry.extensions import engine, get_session
from registry.models import AuditLogEntry, Recruiter
from registry.services import auditlog, recruiters
from registry.web.admin import bp
from registry.web.admin.common import Page, page_arg
from registry.web.auth import requires

PER_PAGE = 100


def _date(name: str):
    try:
        return datetime.strptime(request.args.get(name, ""), "%Y-%m-%d").date()
    except ValueError:
        return None


@bp.get("/audit-log")
@requires("viewer")
def audit_log():
    session = get_session()
    f = {k: (request.args.get(k) or "").strip() for k in ("entity", "action", "actor", "recruiter")}
    date_from, date_to = _date("from"), _date("to")
    conds = []
    if f["entity"]:
        conds.append(AuditLogEntry.entity == f["entity"])
    if f["action"] in ("create", "update", "delete"):
        conds.append(AuditLogEntry.action == f["action"])
    if f["actor"]:
        conds.append(func.lower(AuditLogEntry.actor).like(f"%{f['actor'].lower()}%"))
    recruiter = None
    if f["recruiter"]:
        try:
            recruiter = recruiters.get_by_public_id(session, f["recruiter"])
            conds.append(AuditLogEntry.recruiter_id == recruiter.id)
        except Exception:  # noqa: BLE001 - unknown public id: show nothing rather than everything
            conds.append(AuditLogEntry.id == -1)
    if date_from:
        conds.append(AuditLogEntry.at >= datetime.combine(date_from, time.min, UTC))
    if date_to:
        conds.append(AuditLogEntry.at < datetime.combine(date_to + timedelta(days=1), time.min, UTC))
    page = page_arg()
    total = session.scalar(select(func.count()).select_from(AuditLogEntry).where(*conds)) or 0
    rows = session.execute(
        select(AuditLogEntry, Recruiter.public_id)
        .outerjoin(Recruiter, Recruiter.id == AuditLogEntry.recruiter_id)
        .where(*conds)
        .order_by(AuditLogEntry.seq.desc())
        .offset((page - 1) * PER_PAGE)
        .limit(PER_PAGE)
    ).all()
    verified = None
    if request.args.get("verify"):
        with Session(engine()) as own:  # verification streams and expunges; keep it off the request session
            verified = auditlog.verify(own)
    entities = sorted(name for name, _hidden in auditlog.TRACKED.values())
    return render_template(
        "admin/auditlog.html",
        page=Page(rows, page, PER_PAGE, total),
        f=f,
        date_from=date_from,
        date_to=date_to,
        verified=verified,
        entities=entities,
        recruiter=recruiter,
        pretty=lambda d: json.dumps(json.loads(d), indent=1, ensure_ascii=False),
    )
