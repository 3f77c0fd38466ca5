"""Figures for the admin dashboard: a handful of aggregate queries over the whole registry.

Every figure is one GROUP BY or COUNT (no per-recruiter loops), so the dashboard stays fast with
hundreds of thousands of recruiters and reports.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlmodel import Session, col

from registry.models import Accreditation, AccreditationEvent, Alert, Audit, FeeReport, Finding, Recruiter
from registry.models.accreditation import AccreditationStatus
from registry.models.reports import TriageStatus
from registry.services import audits
from registry.timeutil import add_months, today

STATUSES = [s.value for s in AccreditationStatus]


@dataclass
class Dashboard:
    status_counts: dict[str, int]
    total_recruiters: int
    open_alerts: int
    overdue_actions: int
    overdue_major: int
    audits_due_30: int
    reports_new: int
    months: list[str] = field(default_factory=list)
    reports_by_month: dict[str, dict[str, int]] = field(default_factory=dict)  # month -> category -> n
    usd_by_corridor: list[tuple[str, Decimal, int]] = field(default_factory=list)  # "NP→QA", usd, reports
    status_by_month: dict[str, dict[str, int]] = field(default_factory=dict)  # month -> status -> n


def _month_expr(session: Session, column):
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM")
    return func.strftime("%Y-%m", column)


def last_months(n: int, as_of: date) -> list[str]:
    first = as_of.replace(day=1)
    return [add_months(first, -i).strftime("%Y-%m") for i in range(n - 1, -1, -1)]


def status_counts(session: Session) -> dict[str, int]:
    rows = session.execute(
        select(col(Accreditation.status), func.count()).group_by(col(Accreditation.status))
    ).all()
    counts = dict.fromkeys(STATUSES, 0)
    counts.update(dict(rows))
    return counts


def overdue_actions(session: Session, as_of: date) -> tuple[int, int]:
    """(open corrective actions past their due date, of which major)."""
    rows = session.execute(
        select(col(Finding.severity), func.count())
        .where(col(Finding.closed_at).is_(None), col(Finding.due_date) < as_of)
        .group_by(Finding.severity)
    ).all()
    by = dict(rows)
    return sum(by.values()), by.get("major", 0)


def audits_due(session: Session, as_of: date, days: int = 30) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(Audit)
            .where(audits.to_be_performed(), col(Audit.planned_date) <= as_of + timedelta(days=days))
        )
        or 0
    )


def reports_by_month(session: Session, months: list[str]) -> dict[str, dict[str, int]]:
    start = datetime.strptime(months[0], "%Y-%m").replace(tzinfo=UTC)
    m = _month_expr(session, FeeReport.created_at)
    rows = session.execute(
        select(m, col(FeeReport.category), func.count())
        .where(col(FeeReport.created_at) >= start)
        .group_by(m, FeeReport.category)
    ).all()
    out: dict[str, dict[str, int]] = {mm: {} for mm in months}
    for month, cat, n in rows:
        if month in out:
            out[month][cat] = n
    return out


def usd_by_corridor(session: Session, limit: int = 8) -> list[tuple[str, Decimal, int]]:
    total = func.sum(FeeReport.amount_usd)
    rows = session.execute(
        select(col(FeeReport.origin_country), col(FeeReport.destination_country), total, func.count())
        .where(col(FeeReport.amount_usd).is_not(None))
        .group_by(FeeReport.origin_country, FeeReport.destination_country)
        .order_by(total.desc())
        .limit(limit)
    ).all()
    return [(f"{o or '?'}→{d or '?'}", Decimal(str(usd or 0)), n) for o, d, usd, n in rows]


def status_by_month(
    session: Session, months: list[str], current: dict[str, int] | None = None
) -> dict[str, dict[str, int]]:
    """Recruiters per accreditation status at the end of each month, from the state machine's history.

    Walks backwards from today's counts: each move in a month added one to its target state and took
    one from its source state, so undoing the later months' moves gives each month-end. One GROUP BY
    over the window's events (indexed by time) instead of a replay per recruiter.
    """
    current = current if current is not None else status_counts(session)
    start = datetime.strptime(months[0], "%Y-%m").replace(tzinfo=UTC)
    m = _month_expr(session, AccreditationEvent.at)
    delta: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for month, frm, to, n in session.execute(
        select(m, col(AccreditationEvent.from_status), col(AccreditationEvent.to_status), func.count())
        .where(col(AccreditationEvent.at) >= start)
        .group_by(m, col(AccreditationEvent.from_status), col(AccreditationEvent.to_status))
    ).all():
        delta[month][to] += n
        if frm is not None:
            delta[month][frm] -= n
    out: dict[str, dict[str, int]] = {}
    running = dict(current)
    for month in reversed(months):
        out[month] = {s: max(0, running.get(s, 0)) for s in STATUSES}
        for status, n in delta.get(month, {}).items():
            running[status] = running.get(status, 0) - n
    return {month: out[month] for month in months}


@dataclass
class Charts:
    months: list[str]
    reports_by_month: dict[str, dict[str, int]]
    usd_by_corridor: list[tuple[str, Decimal, int]]
    status_by_month: dict[str, dict[str, int]]


class ChartCache:
    """The charts change only when an accreditation moves or a report arrives: keep them until then.

    The stamp (the newest event and report, and the date) costs two primary-key lookups.
    """

    def __init__(self, size: int = 8):
        self._size = size
        self._data: dict[tuple, Charts] = {}
        self._lock = threading.Lock()

    def get(self, session: Session, as_of: date, months: int, counts: dict[str, int]) -> Charts:
        last_event = session.execute(
            select(col(AccreditationEvent.id), col(AccreditationEvent.at))
            .order_by(col(AccreditationEvent.id).desc())
            .limit(1)
        ).first()
        last_report = session.execute(
            select(col(FeeReport.id), col(FeeReport.created_at)).order_by(col(FeeReport.id).desc()).limit(1)
        ).first()
        stamp = (
            str(session.get_bind().engine.url),
            as_of,
            months,
            tuple(last_event or ()),
            tuple(last_report or ()),
        )
        with self._lock:
            hit = self._data.get(stamp)
        if hit is not None:
            return hit
        charts = build_charts(session, as_of=as_of, months=months, counts=counts)
        with self._lock:
            if len(self._data) >= self._size:
                self._data.pop(next(iter(self._data)))
            self._data[stamp] = charts
        return charts


def build_charts(
    session: Session, *, as_of: date, months: int = 12, counts: dict[str, int] | None = None
) -> Charts:
    month_keys = last_months(months, as_of)
    return Charts(
        month_keys,
        reports_by_month(session, month_keys),
        usd_by_corridor(session),
        status_by_month(session, month_keys, counts),
    )


def build(
    session: Session, *, as_of: date | None = None, months: int = 12, cache: ChartCache | None = None
) -> Dashboard:
    """Every figure of the dashboard; the charts come from `cache` when nothing changed since."""
    as_of = as_of or today()
    counts = status_counts(session)
    overdue, overdue_major = overdue_actions(session, as_of)
    charts = (
        cache.get(session, as_of, months, counts)
        if cache is not None
        else build_charts(session, as_of=as_of, months=months, counts=counts)
    )
    return Dashboard(
        status_counts=counts,
        total_recruiters=sum(counts.values()),
        open_alerts=session.scalar(
            select(func.count()).select_from(Alert).where(col(Alert.resolved_at).is_(None))
        )
        or 0,
        overdue_actions=overdue,
        overdue_major=overdue_major,
        audits_due_30=audits_due(session, as_of),
        reports_new=session.scalar(
            select(func.count())
            .select_from(FeeReport)
            .where(col(FeeReport.triage_status) == TriageStatus.new)
        )
        or 0,
        months=charts.months,
        reports_by_month=charts.reports_by_month,
        usd_by_corridor=charts.usd_by_corridor,
        status_by_month=charts.status_by_month,
    )


def work_waiting(session: Session) -> dict[str, int]:
    """Shown next to the admin navigation: new fee reports and open alerts (two indexed counts)."""
    return {
        "reports": session.scalar(
            select(func.count())
            .select_from(FeeReport)
            .where(col(FeeReport.triage_status) == TriageStatus.new)
        )
        or 0,
        "alerts": session.scalar(
            select(func.count()).select_from(Alert).where(col(Alert.resolved_at).is_(None))
        )
        or 0,
    }


def recent_changes(session: Session, *, limit: int) -> list:
    """Recruiters whose accreditation state changed last: rows of (public id, legal name, status,
    since)."""
    return list(
        session.execute(
            select(
                col(Recruiter.public_id),
                col(Recruiter.legal_name),
                col(Accreditation.status),
                col(Accreditation.since),
            )
            .join(Accreditation, col(Accreditation.recruiter_id) == col(Recruiter.id))
            .order_by(col(Accreditation.since).desc())
            .limit(limit)
        ).all()
    )
