"""Fee-report triage queue, report detail (link to a recruiter, triage, revisions), and the repayment
ledger.

Workers' identities never appear here: the pseudonymous reporter key is shown only as a short
fingerprint (to spot several reports from one chat), never the chat id.
"""

from __future__ import annotations

from datetime import date, datetime

from flask import render_template, request, url_for
from sqlmodel import Session

from registry.errors import NotFound
from registry.extensions import get_session, settings
from registry.models import Finding, Recruiter, RepaymentEntry, id_of
from registry.models.reports import FeeCategory, TriageStatus
from registry.services import audits as audit_service
from registry.services import fees, recruiters
from registry.services import ledger as ledger_service
from registry.services import reports as report_service
from registry.services.fees import FxTable
from registry.web.admin import bp
from registry.web.admin.common import Page, can, change, page_arg
from registry.web.admin.forms import (
    LinkRecruiterForm,
    ReasonForm,
    RepaymentForm,
    ReviseTriageForm,
    TriageForm,
)
from registry.web.auth import actor, requires
from registry.web.forms import required

PER_PAGE = 50
MAX_CANDIDATES = 10


def _date_arg(name: str) -> date | None:
    try:
        return datetime.strptime(request.args.get(name, ""), "%Y-%m-%d").date()
    except ValueError:
        return None


def fx() -> FxTable:
    return fees.fx_table(str(settings().fx_rates_path))


def _label(status: str) -> str:
    return status.replace("_", " ")


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
    if found.total is None:
        raise RuntimeError("found.total is not None")
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
    """The report, its decisions and ledger; `q` searches recruiters to link it to, `pick` chooses one."""
    session = get_session()
    report = report_service.get(session, report_id)
    if report.id is None:
        raise RuntimeError("report.id is not None")
    rec = recruiters.by_id(session, report.recruiter_id)
    q = " ".join((request.args.get("q") or "").split())[:200]
    candidates = []
    picked = None
    if can("auditor"):
        if q:
            candidates = [r for r, _score in recruiters.search_recruiters(session, q, limit=MAX_CANDIDATES)]
        if request.args.get("pick"):
            try:
                picked = recruiters.get_by_public_id(session, request.args["pick"])
            except NotFound:
                picked = None
    link_form = LinkRecruiterForm()
    if picked is not None:
        link_form.public_id.data = picked.public_id
    repay_form = RepaymentForm()
    if not repay_form.currency.data:
        repay_form.currency.data = report.currency
    entries = ledger_service.entries(session, report.id)
    return render_template(
        "admin/reports/detail.html",
        report=report,
        rec=rec,
        lines=report_service.lines_of(session, report),
        finding=report_service.finding_of(session, report.id),
        same_reporter=report_service.other_reports_by_reporter(session, report),
        history=report_service.history(session, report.id),
        ledger=entries,
        reversed_by=ledger_service.reversed_ids(entries),
        totals=ledger_service.report_totals(session, report, fx()),
        stages=ledger_service.STATES,
        triage_form=TriageForm(),
        revise_form=ReviseTriageForm(),
        repay_form=repay_form,
        reverse_form=ReasonForm(),
        link_form=link_form,
        q=q,
        candidates=candidates,
        picked=picked,
    )


def _detail(report_id: int, anchor: str = "") -> str:
    return url_for("admin.report_detail", report_id=report_id) + anchor


@bp.post("/reports/<int:report_id>/link")
@requires("auditor")
def report_link(report_id: int):
    report = report_service.get(get_session(), report_id)
    form = LinkRecruiterForm()

    def link(s: Session) -> Recruiter:
        rec = recruiters.get_by_public_id(s, required(form.public_id.data))
        report_service.link_recruiter(s, report, rec, reason=required(form.reason.data), actor=actor())
        return rec

    return change(
        link,
        success=lambda rec: f"Case {report.case_code} linked to {rec.public_id} {rec.legal_name}.",
        to=_detail(id_of(report)),
        on_error=_detail(id_of(report), "#link"),
        form=form,
    )


@bp.post("/reports/<int:report_id>/triage")
@requires("auditor")
def report_triage(report_id: int):
    report = report_service.get(get_session(), report_id)
    form = TriageForm()
    major_days = settings().major_finding_due_days

    def message(finding: Finding | None) -> str:
        text = f"Case {report.case_code} marked {_label(report.triage_status)}."
        if finding is not None and finding.due_date is not None:
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
        to=_detail(id_of(report)),
        form=form,
    )


@bp.post("/reports/<int:report_id>/revise")
@requires("auditor")
def report_revise(report_id: int):
    report = report_service.get(get_session(), report_id)
    before = report.triage_status
    form = ReviseTriageForm()
    major_days = settings().major_finding_due_days

    def message(finding: Finding | None) -> str:
        text = f"Case {report.case_code} revised from {_label(before)} to {_label(report.triage_status)}."
        if finding is not None and before == TriageStatus.substantiated:
            if audit_service.was_withdrawn(get_session(), finding):
                text += " Its P1 finding is withdrawn (closed, kept on record)."
            else:
                text += " Its P1 finding was closed already and keeps its closure."
        elif finding is not None and finding.closed_at is None and finding.due_date is not None:
            text += f" Its major P1 finding is open, corrective action due {finding.due_date:%d %b %Y}."
        return text

    return change(
        lambda s: report_service.revise_triage(
            s,
            report,
            status=required(form.status.data),
            reason=required(form.reason.data),
            actor=actor(),
            major_days=major_days,
        ),
        success=message,
        to=_detail(id_of(report)),
        on_error=_detail(id_of(report), "#revise"),
        form=form,
    )


@bp.post("/reports/<int:report_id>/repayments")
@requires("auditor")
def report_repayment(report_id: int):
    report = report_service.get(get_session(), report_id)
    form = RepaymentForm()
    return change(
        lambda s: ledger_service.add_entry(
            s,
            report,
            state=form.state.data,
            amount=required(form.amount.data),
            currency=required(form.currency.data),
            on_date=required(form.on_date.data),
            note=form.note.data or "",
            actor=actor(),
        ),
        success=lambda e: f"Ledger: {e.state} {e.amount} {e.currency} on {e.on_date:%d %b %Y}.",
        to=_detail(id_of(report), "#ledger"),
        form=form,
    )


@bp.post("/reports/<int:report_id>/repayments/<int:entry_id>/reverse")
@requires("auditor")
def report_repayment_reverse(report_id: int, entry_id: int):
    session = get_session()
    report = report_service.get(session, report_id)
    entry = ledger_service.get_entry(session, report, entry_id)
    form = ReasonForm()

    def message(r: RepaymentEntry) -> str:
        return f"Ledger: entry #{entry.id} ({entry.state} {entry.amount} {entry.currency}) reversed by entry #{r.id}."

    return change(
        lambda s: ledger_service.reverse(s, report, entry, reason=required(form.reason.data), actor=actor()),
        success=message,
        to=_detail(id_of(report), "#ledger"),
        form=form,
    )


@bp.get("/repayments")
@requires("viewer")
def repayment_ledger():
    """Repayment totals per recruiter (claimed, verified, repaid; original currencies and USD), newest
    entries below."""
    session = get_session()
    page = page_arg()
    entries = ledger_service.ledger_page(session, page=page, per_page=PER_PAGE)
    return render_template(
        "admin/reports/ledger.html",
        per_recruiter=ledger_service.totals_by_recruiter(session, fx()),
        stages=ledger_service.STATES,
        page=Page(entries.rows, page, PER_PAGE, entries.total or 0),
    )
