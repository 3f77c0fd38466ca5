"""Audit-log viewer: filters, entry detail, and the result of hash-chain verification."""

from __future__ import annotations

import json
from datetime import datetime

from flask import render_template, request
from sqlmodel import Session

from registry.extensions import engine, get_session
from registry.services import auditlog, auditlog_pages
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
    f = {k: (request.args.get(k) or "").strip() for k in ("entity", "action", "actor", "recruiter")}
    date_from, date_to = _date("from"), _date("to")
    page = page_arg()
    found = auditlog_pages.list_page(
        get_session(),
        auditlog_pages.LogFilters(**f, date_from=date_from, date_to=date_to),
        page=page,
        per_page=PER_PAGE,
    )
    verified = None
    if request.args.get("verify"):
        with Session(engine()) as own:  # verification streams and expunges; keep it off the request session
            verified = auditlog.verify(own)
    entities = sorted(name for name, _hidden in auditlog.TRACKED.values())
    if found.total is None:
        raise RuntimeError("found.total is not None")
    return render_template(
        "admin/auditlog.html",
        page=Page(found.rows, page, PER_PAGE, found.total),
        f=f,
        date_from=date_from,
        date_to=date_to,
        verified=verified,
        entities=entities,
        recruiter=found.extra["recruiter"],
        pretty=lambda d: json.dumps(json.loads(d), indent=1, ensure_ascii=False),
    )
