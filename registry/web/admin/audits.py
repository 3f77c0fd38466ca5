"""Audit workflow: plan an audit, record its outcome and findings, close corrective actions; and the
corrections: cancel a planned audit, change a due date, reopen a closed corrective action."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for

from registry.extensions import get_session, settings
from registry.models.audits import PRINCIPLE_TITLES, AuditKind, Severity
from registry.services import audits as audit_service
from registry.services import recruiters
from registry.timeutil import today
from registry.web.admin import bp
from registry.web.admin.common import Page, back, change, flash_form_errors, page_arg
from registry.web.admin.forms import (
    CloseFindingForm,
    DueDateForm,
    FindingForm,
    OutcomeForm,
    PlanAuditForm,
    ReasonForm,
    ReopenFindingForm,
)
from registry.web.auth import actor, requires
from registry.web.forms import required

PER_PAGE = 50


@bp.post("/recruiters/<public_id>/audits")
@requires("auditor")
def audit_plan(public_id: str):
    session = get_session()
    rec = recruiters.get_by_public_id(session, public_id)
    form = PlanAuditForm()
    detail = url_for("admin.recruiter_detail", public_id=rec.public_id)
    if not form.validate_on_submit():
        flash_form_errors(form)
        return redirect(detail + "#audits")
    return change(
        lambda s: audit_service.plan(
            s,
            rec,
            kind=form.kind.data,
            planned_date=form.planned_date.data,
            certification_body=required(form.certification_body.data),
            lead_auditor=required(form.lead_auditor.data),
            actor=actor(),
        ),
        success=lambda a: f"{a.kind.title()} audit of {rec.public_id} planned for {a.planned_date:%d %b %Y}.",
        to=lambda a: url_for("admin.audit_detail", audit_id=a.id),
        on_error=detail,
    )


@bp.get("/audits")
@requires("viewer")
def audit_list():
    state = request.args.get("state", "planned")
    kind = request.args.get("kind", "")
    page = page_arg()
    found = audit_service.list_page(
        get_session(), state=state, kind=kind, page=page, per_page=PER_PAGE, as_of=today()
    )
    if found.total is None:
        raise RuntimeError("found.total is not None")
    return render_template(
        "admin/audits/list.html",
        page=Page(found.rows, page, PER_PAGE, found.total),
        state=state,
        kind=kind,
        kinds=list(AuditKind),
        today=today(),
    )


@bp.get("/audits/<int:audit_id>")
@requires("viewer")
def audit_detail(audit_id: int):
    session = get_session()
    audit = audit_service.get_audit(session, audit_id)
    if audit.id is None:
        raise RuntimeError("audit.id is not None")
    rec = recruiters.by_id(session, audit.recruiter_id)
    findings = audit_service.findings_of_audit(session, audit.id)
    cfg = settings()
    finding_form = FindingForm()
    outcome_form = OutcomeForm()
    if outcome_form.performed_date.data is None:
        outcome_form.performed_date.data = today()
    return render_template(
        "admin/audits/detail.html",
        audit=audit,
        rec=rec,
        findings=findings,
        outcome_form=outcome_form,
        finding_form=finding_form,
        close_form=CloseFindingForm(),
        cancel_form=ReasonForm(),
        due_form=DueDateForm(),
        reopen_form=ReopenFindingForm(),
        history=audit_service.history(session, [f.id for f in findings if f.id is not None]),
        principles=PRINCIPLE_TITLES,
        today=today(),
        due_defaults={
            "major": audit_service.default_due_date(
                "major", major_days=cfg.major_finding_due_days, minor_days=cfg.minor_finding_due_days
            ),
            "minor": audit_service.default_due_date(
                "minor", major_days=cfg.major_finding_due_days, minor_days=cfg.minor_finding_due_days
            ),
        },
    )


@bp.post("/audits/<int:audit_id>/outcome")
@requires("auditor")
def audit_outcome(audit_id: int):
    session = get_session()
    audit = audit_service.get_audit(session, audit_id)
    form = OutcomeForm()
    to = url_for("admin.audit_detail", audit_id=audit.id)
    return change(
        lambda s: audit_service.record_outcome(
            s,
            audit,
            performed_date=required(form.performed_date.data),
            outcome=form.outcome.data,
            summary=form.summary.data or "",
        ),
        success=lambda a: f"Outcome recorded: {a.outcome} on {a.performed_date:%d %b %Y}.",
        to=to,
        form=form,
    )


@bp.post("/audits/<int:audit_id>/findings")
@requires("auditor")
def finding_add(audit_id: int):
    session = get_session()
    audit = audit_service.get_audit(session, audit_id)
    form = FindingForm()
    to = url_for("admin.audit_detail", audit_id=audit.id)
    if not form.validate_on_submit():
        flash_form_errors(form)
        return redirect(to + "#add-finding")
    cfg = settings()
    return change(
        lambda s: audit_service.add_finding(
            s,
            audit,
            principle=form.principle.data,
            severity=form.severity.data,
            description=required(form.description.data),
            corrective_action=form.corrective_action.data or "",
            due_date=form.due_date.data,
            major_days=cfg.major_finding_due_days,
            minor_days=cfg.minor_finding_due_days,
        ),
        success=lambda f: (
            f"{f.severity.title()} finding under {f.principle} recorded"
            + (f"; corrective action due {f.due_date:%d %b %Y}." if f.due_date else ".")
        ),
        to=to,
    )


@bp.get("/findings")
@requires("viewer")
def finding_list():
    state = request.args.get("state", "open")
    severity = request.args.get("severity", "")
    page = page_arg()
    found = audit_service.findings_page(
        get_session(), state=state, severity=severity, page=page, per_page=PER_PAGE, as_of=today()
    )
    if found.total is None:
        raise RuntimeError("found.total is not None")
    return render_template(
        "admin/findings.html",
        page=Page(found.rows, page, PER_PAGE, found.total),
        state=state,
        severity=severity,
        severities=list(Severity),
        today=today(),
        close_form=CloseFindingForm(),
    )


@bp.post("/findings/<int:finding_id>/close")
@requires("auditor")
def finding_close(finding_id: int):
    session = get_session()
    finding = audit_service.get_finding(session, finding_id)
    form = CloseFindingForm()
    to = back(url_for("admin.audit_detail", audit_id=finding.audit_id))
    return change(
        lambda s: audit_service.close_finding(
            s, finding, evidence=required(form.evidence.data), actor=actor()
        ),
        success=lambda f: f"Corrective action for the {f.severity} {f.principle} finding closed.",
        to=to,
        form=form,
    )


@bp.post("/audits/<int:audit_id>/cancel")
@requires("auditor")
def audit_cancel(audit_id: int):
    audit = audit_service.get_audit(get_session(), audit_id)
    form = ReasonForm()
    return change(
        lambda s: audit_service.cancel(s, audit, reason=required(form.reason.data), actor=actor()),
        success=lambda a: f"{a.kind.title()} audit #{a.id} cancelled.",
        to=url_for("admin.audit_detail", audit_id=audit.id),
        form=form,
    )


@bp.post("/findings/<int:finding_id>/due-date")
@requires("auditor")
def finding_due_date(finding_id: int):
    finding = audit_service.get_finding(get_session(), finding_id)
    form = DueDateForm()
    to = back(url_for("admin.audit_detail", audit_id=finding.audit_id) + f"#finding-{finding.id}")
    before = finding.due_date
    return change(
        lambda s: audit_service.change_due_date(
            s,
            finding,
            due_date=required(form.due_date.data),
            reason=required(form.reason.data),
            actor=actor(),
        ),
        success=lambda f: (
            f"Corrective action for the {f.severity} {f.principle} finding now due {f.due_date:%d %b %Y}"
            + (f" (was {before:%d %b %Y})." if before else ".")
        ),
        to=to,
        form=form,
    )


@bp.post("/findings/<int:finding_id>/reopen")
@requires("auditor")
def finding_reopen(finding_id: int):
    finding = audit_service.get_finding(get_session(), finding_id)
    form = ReopenFindingForm()
    to = back(url_for("admin.audit_detail", audit_id=finding.audit_id) + f"#finding-{finding.id}")
    return change(
        lambda s: audit_service.reopen(
            s, finding, reason=required(form.reason.data), actor=actor(), due_date=form.due_date.data
        ),
        success=lambda f: (
            f"Corrective action for the {f.severity} {f.principle} finding reopened"
            + (f"; due {f.due_date:%d %b %Y}." if f.due_date else ".")
        ),
        to=to,
        form=form,
    )
