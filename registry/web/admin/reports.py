"""Fee-report triage queue, report detail, and the repayment ledger.

Workers' identities never appear here: the pseudonymous reporter key is shown only as a short
fingerprint (to spot several reports from one chat), never the chat id.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from flask import redirect, render_template, request, url_for
from sqlalchemy import func, select

from registry.extensions import get_session, settings
from registry.models import FeeReport, Finding, Recruiter, RepaymentEntry
from registry.models.reports import FeeCategory, TriageStatus
from registry.services import recruiters
from registry.services import reports as report_service
from registry.web.admin import bp
from registry.web.admin.common import Page, change, flash_form_errors, page_arg
from registry.web.admin.forms import RepaymentForm, TriageForm
from registry.web.auth import actor, requires

PER_PAGE = 50


def _date_arg(name: str):
    try:
        return datetime.strptime(request.args.get(name, ""), "%Y-%m-%d").date()
    except ValueError:
        return None


@bp.get("/reports")
@requires("viewer")
def report_list():
    session = get_session()
    status = request.args.get("status", "new")
    category = request.args.get("category", "")
    recruiter_q = (request.args.get("recruiter") or "").strip()
    date_from, date_to = _date_arg("from"), _date_arg("to")
    conds = []
    if status in TriageStatus.__members__:
        conds.append(FeeReport.triage_status == status)
    if category in FeeCategory.__members__:
        conds.append(FeeReport.category == category)
    if recruiter_q:
        try:
            conds.append(FeeReport.recruiter_id == recruiters.get_by_public_id(session, recruiter_q).id)
        except Exception:  # noqa: BLE001 - not a public id: match the free text or the name
            like = f"%{recruiter_q.lower()}%"
            conds.append(
                func.lower(FeeReport.recruiter_text).like(like)
                | FeeReport.recruiter_id.in_(
                    select(Recruiter.id).where(func.lower(Recruiter.legal_name).like(like))
                )
            )
    if date_from:
        conds.append(FeeReport.created_at >= datetime.combine(date_from, time.min, UTC))
    if date_to:
        conds.append(FeeReport.created_at < datetime.combine(date_to + timedelta(days=1), time.min, UTC))
    page = page_arg()
    total = session.scalar(select(func.count()).select_from(FeeReport).where(*conds)) or 0
    order = FeeReport.created_at.asc() if status == "new" else FeeReport.created_at.desc()
    rows = session.execute(
        select(FeeReport, Recruiter.public_id, Recruiter.legal_name)
        .outerjoin(Recruiter, Recruiter.id == FeeReport.recruiter_id)
        .where(*conds)
        .order_by(order, FeeReport.id)
        .offset((page - 1) * PER_PAGE)
        .limit(PER_PAGE)
    ).all()
    return render_template(
        "admin/reports/list.html",
        page=Page(rows, page, PER_PAGE, total),
        status=status,
        category=category,
        recruiter_q=recruiter_q,
        date_from=date_from,
        date_to=date_to,
        statuses=list(TriageStatus),
        categories=list(FeeCategory),
    )


@bp.get("/reports/<int:report_id>")
@requires("viewer")
def report_detail(report_id: int):
    session = get_session()
    report = report_service.get(session, report_id)
    rec = session.get(Recruiter, report.recruiter_id) if report.recruiter_id else None
    finding = session.scalars(select(Finding).where(Finding.report_id == report.id)).first()
    same_reporter = 0
    if report.reporter_key:
        same_reporter = (
            session.scalar(
                select(func.count())
                .select_from(FeeReport)
                .where(FeeReport.reporter_key == report.reporter_key, FeeReport.id != report.id)
            )
            or 0
        )
    form = RepaymentForm()
    if not form.currency.data:
        form.currency.data = report.currency
    return render_template(
        "admin/reports/detail.html",
        report=report,
        rec=rec,
        finding=finding,
        same_reporter=same_reporter,
        ledger=report_service.ledger(session, report.id),
        triage_form=TriageForm(),
        repay_form=form,
    )


@bp.post("/reports/<int:report_id>/triage")
@requires("auditor")
def report_triage(report_id: int):
    session = get_session()
    report = report_service.get(session, report_id)
    form = TriageForm()
    to = url_for("admin.report_detail", report_id=report.id)
    if not form.validate_on_submit():
        flash_form_errors(form)
        return redirect(to)
    major_days = settings().major_finding_due_days

    def message(finding):
        text = f"Case {report.case_code} marked {form.status.data.replace('_', ' ')}."
        if finding is not None:
            text += f" A major P1 finding was recorded (corrective action due {finding.due_date:%d %b %Y})."
        return text

    return change(
        lambda s: report_service.triage(
            s, report, status=form.status.data, note=form.note.data, actor=actor(), major_days=major_days
        ),
        success=message,
        to=to,
    )


@bp.post("/reports/<int:report_id>/repayments")
@requires("auditor")
def report_repayment(report_id: int):
    session = get_session()
    report = report_service.get(session, report_id)
    form = RepaymentForm()
    to = url_for("admin.report_detail", report_id=report.id) + "#ledger"
    return change(
        lambda s: report_service.add_repayment(
            s,
            report,
            state=form.state.data,
            amount=form.amount.data,
            currency=form.currency.data,
            on_date=form.on_date.data,
            note=form.note.data or "",
            actor=actor(),
        ),
        success=lambda e: f"Ledger: {e.state} {e.amount} {e.currency} on {e.on_date:%d %b %Y}.",
        to=to,
        form=form,
    )


@bp.get("/repayments")
@requires("viewer")
def repayment_ledger():
    """Repayment totals per recruiter (claimed, verified, repaid), newest entries below."""
    session = get_session()
    totals = session.execute(
        select(
            Recruiter.public_id,
            Recruiter.legal_name,
            RepaymentEntry.state,
            RepaymentEntry.currency,
            func.sum(RepaymentEntry.amount),
            func.count(func.distinct(RepaymentEntry.report_id)),
        )
        .join(FeeReport, FeeReport.id == RepaymentEntry.report_id)
        .join(Recruiter, Recruiter.id == FeeReport.recruiter_id)
        .group_by(Recruiter.public_id, Recruiter.legal_name, RepaymentEntry.state, RepaymentEntry.currency)
        .order_by(Recruiter.public_id)
    ).all()
    per_recruiter: dict[tuple[str, str], dict] = {}
    for pid, name, state, currency, amount, n in totals:
        row = per_recruiter.setdefault((pid, name), {"reports": 0, "amounts": {}})
        row["amounts"].setdefault(state, []).append((amount, currency))
        row["reports"] = max(row["reports"], n)
    page = page_arg()
    total = session.scalar(select(func.count()).select_from(RepaymentEntry)) or 0
    entries = session.execute(
        select(RepaymentEntry, FeeReport.case_code, Recruiter.public_id)
        .join(FeeReport, FeeReport.id == RepaymentEntry.report_id)
        .outerjoin(Recruiter, Recruiter.id == FeeReport.recruiter_id)
        .order_by(RepaymentEntry.on_date.desc(), RepaymentEntry.id.desc())
        .offset((page - 1) * PER_PAGE)
        .limit(PER_PAGE)
    ).all()
    return render_template(
        "admin/reports/ledger.html", per_recruiter=per_recruiter, page=Page(entries, page, PER_PAGE, total)
    )
