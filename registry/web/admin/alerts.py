"""Alerts raised by the compliance checks (read here; resolved by the checks themselves)."""

from __future__ import annotations

from flask import render_template, request, url_for

from registry.extensions import get_session
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
    page = page_arg()
    found = alert_service.list_page(session, state=state, kind=kind, page=page, per_page=PER_PAGE)
    kinds = alert_service.kinds(session)
    if found.total is None:
        raise RuntimeError("found.total is not None")
    return render_template(
        "admin/alerts.html",
        page=Page(found.rows, page, PER_PAGE, found.total),
        state=state,
        kind=kind,
        kinds=kinds,
        form=ConfirmForm(),
    )


@bp.post("/alerts/<int:alert_id>/resolve")
@requires("auditor")
def alert_resolve(alert_id: int):
    session = get_session()
    alert = alert_service.get(session, alert_id)
    form = ConfirmForm()
    to = back(url_for("admin.alerts"))
    return change(
        lambda s: alert_service.resolve(s, alert, actor=actor()),
        success=f"Alert “{alert.kind.replace('_', ' ')}” resolved.",
        to=to,
        form=form,
    )
