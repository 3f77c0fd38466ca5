"""Alerts raised by the compliance checks (read here; resolved by the checks themselves)."""

from __future__ import annotations

from flask import render_template, request, url_for
from sqlalchemy import func, select

from registry.errors import NotFound
from registry.extensions import get_session
from registry.models import Alert, Recruiter
from registry.services import alerts as alert_service
from registry.web.admin import bp
from registry.web.admin.common import Page, back, change, page_arg
from registry.web.admin.forms import ConfirmForm
from registry.web.auth import actor, requires

PER_PAGE = 50


@bp.get("/alerts")
@requires("viewer")
def alerts():
    session = get_session()
    state = request.args.get("state", "open")
    kind = request.args.get("kind", "")
    conds = []
    if state == "open":
        conds.append(Alert.resolved_at.is_(None))
    elif state == "resolved":
        conds.append(Alert.resolved_at.is_not(None))
    if kind:
        conds.append(Alert.kind == kind)
    page = page_arg()
    total = session.scalar(select(func.count()).select_from(Alert).where(*conds)) or 0
    rows = session.execute(
        select(Alert, Recruiter.public_id, Recruiter.legal_name)
        .outerjoin(Recruiter, Recruiter.id == Alert.recruiter_id)
        .where(*conds)
        .order_by(Alert.opened_at.desc(), Alert.id.desc())
        .offset((page - 1) * PER_PAGE)
        .limit(PER_PAGE)
    ).all()
    kinds = [k for (k,) in session.execute(select(Alert.kind).distinct().order_by(Alert.kind))]
    return render_template(
        "admin/alerts.html",
        page=Page(rows, page, PER_PAGE, total),
        state=state,
        kind=kind,
        kinds=kinds,
        form=ConfirmForm(),
    )


@bp.post("/alerts/<int:alert_id>/resolve")
@requires("auditor")
def alert_resolve(alert_id: int):
    session = get_session()
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise NotFound(f"no alert {alert_id}")
    form = ConfirmForm()
    to = back(url_for("admin.alerts"))
    return change(
        lambda s: alert_service.resolve(s, alert, actor=actor()),
        success=f"Alert “{alert.kind.replace('_', ' ')}” resolved.",
        to=to,
        form=form,
    )
