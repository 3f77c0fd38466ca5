"""Dashboard: counts by accreditation status, work waiting, and three charts."""

from __future__ import annotations

from flask import render_template

from registry.extensions import get_session
from registry.services import alerts as alert_service
from registry.services import dashboard as dashboard_service
from registry.services.dashboard import STATUSES
from registry.web.admin import bp, charts
from registry.web.auth import requires

_charts = dashboard_service.ChartCache()


@bp.get("/")
@requires("viewer")
def dashboard():
    session = get_session()
    d = dashboard_service.build(session, cache=_charts)
    chart_reports = charts.stacked_bars("Fee reports per month by category", d.months, d.reports_by_month)
    chart_corridors = charts.horizontal_bars(
        "Reported fees in USD by corridor",
        [(label, usd, f"{n} report{'s' if n != 1 else ''}") for label, usd, n in d.usd_by_corridor],
        unit="$",
    )
    chart_status = charts.stacked_area(
        "Recruiters by accreditation status, month end", d.months, d.status_by_month, STATUSES
    )
    alerts = alert_service.latest_open(session, limit=8)
    recent = dashboard_service.recent_changes(session, limit=8)
    return render_template(
        "admin/dashboard.html",
        d=d,
        chart_reports=chart_reports,
        chart_corridors=chart_corridors,
        chart_status=chart_status,
        alerts=alerts,
        recent=recent,
    )
