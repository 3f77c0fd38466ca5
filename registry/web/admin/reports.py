"""Fee-report triage queue, report detail, and the repayment ledger.

Workers' identities never appear here: the pseudonymous reporter key is shown only as a short
fingerprint (to spot several reports from one chat), never the chat id.
"""

from __future__ import annotations

from datetime import datetime

from flask import redirect, render_template, request, url_for

from registry.extensions import get_session, settings
from registry.models.reports import FeeCategory, TriageStatus
from registry.services import recruiters
from registry.services import reports as report_service
from registry.web.admin import bp
from registry.web.admin.common import Page, change, flash_form_errors, page_arg
from registry.web.admin.forms import RepaymentForm, TriageForm
from registry.web.auth import actor, requires
from registry.web.forms import required

PER_PAGE = 50


def _date_arg(name: str):
    try:
        return datetime.strptime(request.args.get(name, ""), "%Y-%m-%d").date()
    except ValueError:
        return None


@bp.get("/reports")
@requires("viewer")
def report_list():
    status = request.args.get("status", "new")
    category = request.args.get("category", "")
    recruiter_q = (request.args.get("recruiter") or "").strip()
    date_from, date_to = _date_arg("from"), _date_arg("to")
    filters = report_service.ReportFilters(
        status=status, category=category, recruiter=recruiter_q, date_from=date_from, date_to=date_to
    )
    page = page_arg()
    found = report_service.list_page(get_session(), filters, page=page, per_page=PER_PAGE)
    assert found.total is not None
    return render_template(
        "admin/reports/list.html",
        page=Page(found.rows, page, PER_PAGE, found.total),
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
    assert report.id is not None
    rec = recruiters.by_id(session, report.recruiter_id)
    finding = report_service.finding_of(session, report.id)
    same_reporter = report_service.other_reports_by_reporter(session, report)
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
            s,
            report,
            status=form.status.data,
            note=required(form.note.data),
            actor=actor(),
            major_days=major_days,
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
            currency=required(form.currency.data),
            on_date=required(form.on_date.data),
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
    page = page_arg()
    entries = report_service.ledger_page(session, page=page, per_page=PER_PAGE)
    assert entries.total is not None
    return render_template(
        "admin/reports/ledger.html",
        per_recruiter=report_service.repayment_totals(session),
        page=Page(entries.rows, page, PER_PAGE, entries.total),
    )
