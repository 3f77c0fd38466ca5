"""Recruiters: list (search, filters, sorting, pagination), create/edit, detail page, decisions."""

from __future__ import annotations

import base64
import json
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from pydantic import ValidationError

from registry.extensions import get_session, settings
from registry.models import Recruiter, id_of
from registry.models.accreditation import AccreditationStatus
from registry.models.recruiters import LicenceStatus
from registry.services import accreditation, auditlog, fees, recruiters
from registry.services import alerts as alert_service
from registry.services import audits as audit_service
from registry.services import ledger as ledger_service
from registry.services import reports as report_service
from registry.services.paging import sort_values
from registry.services.recruiters import RecruiterInput
from registry.timeutil import today
from registry.web.admin import bp
from registry.web.admin.common import DECISION_LABELS, Page, change, flash_form_errors, page_arg, url_with
from registry.web.admin.forms import DecisionForm, PlanAuditForm, RecruiterForm, country_pairs
from registry.web.auth import actor, requires

PER_PAGE = 50


def encode_keyset(values: list) -> str:
    return base64.urlsafe_b64encode(json.dumps(values, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_keyset(cursor: str, n: int) -> list | None:
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except ValueError:
        return None
    return values if isinstance(values, list) and len(values) == n else None


def _cursor_arg(name: str, n: int) -> list | None:
    cursor = request.args.get(name)
    return decode_keyset(cursor, n) if cursor else None


@bp.get("/recruiters")
@requires("viewer")
def recruiter_list():
    q = (request.args.get("q") or "").strip()
    sort = request.args.get("sort") or ("relevance" if q else "newest")
    args: dict[str, Any] = {
        k: (request.args.get(k) or "").strip() for k in ("status", "country", "licence_status")
    }
    filters = recruiters.RecruiterFilters(q=q, **args)
    page = page_arg()
    if not q and sort not in recruiters.PANEL_SORTS:
        sort = "newest"
    keys = recruiters.PANEL_SORTS.get(sort, [])
    after = None if q else _cursor_arg("after", len(keys))
    before = None if q or after is not None else _cursor_arg("before", len(keys))
    found = recruiters.panel_page(
        get_session(), filters, sort=sort, page=page, per_page=PER_PAGE, after=after, before=before
    )
    rows = found.rows
    if found.total is None:
        raise RuntimeError("found.total is not None")
    pager = Page(rows, page, PER_PAGE, found.total)
    if not q and rows:
        pager.next_url = url_with(
            page=page + 1, after=encode_keyset(sort_values(rows[-1], keys)), before=None
        )
        pager.prev_url = (
            url_with(page=page - 1, before=encode_keyset(sort_values(rows[0], keys)), after=None)
            if page > 2
            else url_with(page=None, after=None, before=None)
        )
    return render_template(
        "admin/recruiters/list.html",
        page=pager,
        q=q,
        sort=sort,
        args=args,
        statuses=list(AccreditationStatus),
        licence_statuses=list(LicenceStatus),
        countries=country_pairs("any"),
    )


def _split_lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _parse_corridors(text: str | None) -> list[tuple[str, str]]:
    out = []
    for line in _split_lines(text):
        parts = [
            p for p in line.replace("→", "-").replace(">", "-").replace("/", "-").split("-") if p.strip()
        ]
        if len(parts) != 2:
            raise ValueError(f"corridor {line!r}: write it as ORIGIN-DESTINATION, e.g. NP-QA")
        out.append((parts[0].strip().upper(), parts[1].strip().upper()))
    return out


def _input_from(form: RecruiterForm) -> RecruiterInput | None:
    """Validate the form through the same RecruiterInput the CLI import and the API use."""
    try:
        corridors = _parse_corridors(form.corridors.data)
    except ValueError as e:
        form.corridors.errors = [*form.corridors.errors, str(e)]
        return None
    try:
        return RecruiterInput(
            legal_name=form.legal_name.data or "",
            other_names=_split_lines(form.other_names.data),
            country=form.country.data or "",
            licence_authority=form.licence_authority.data or "",
            licence_number=form.licence_number.data or "",
            corridors=corridors,
            sectors=[s.strip() for s in (form.sectors.data or "").split(",") if s.strip()],
            contact_email=form.contact_email.data or "",
            contact_phone=form.contact_phone.data or "",
            website=form.website.data or "",
            address=form.address.data or "",
            official_address=form.official_address.data or "",
            official_phone=form.official_phone.data or "",
            parent_public_id=(form.parent_public_id.data or "").strip() or None,
        )
    except ValidationError as e:
        for err in e.errors():
            field = str(err["loc"][0]) if err["loc"] else "legal_name"
            target = getattr(form, field, form.legal_name)
            msg = err["msg"].removeprefix("Value error, ")
            target.errors = [*target.errors, msg]
        return None


def _fill(form: RecruiterForm, rec: Recruiter) -> None:
    form.legal_name.data = rec.legal_name
    form.other_names.data = "\n".join(rec.other_names or [])
    form.country.data = rec.country
    form.licence_authority.data = rec.licence_authority
    form.licence_number.data = rec.licence_number
    if rec.id is None:
        raise RuntimeError("rec.id is not None")
    form.corridors.data = "\n".join(f"{o}-{d}" for o, d in recruiters.corridors_of(get_session(), rec.id))
    form.sectors.data = ", ".join(rec.sectors or [])
    form.contact_email.data = rec.contact_email
    form.contact_phone.data = rec.contact_phone
    form.website.data = rec.website
    form.address.data = rec.address
    form.official_address.data = rec.official_address
    form.official_phone.data = rec.official_phone
    if rec.parent_id:
        parent = recruiters.parent_of(get_session(), rec)
        form.parent_public_id.data = parent.public_id if parent else ""


def _form_again(form: RecruiterForm, rec: Recruiter | None, error):
    """The form once more, with the service's complaint next to the field it is about."""
    field = getattr(form, error.field or "", None)
    if field is not None and hasattr(field, "errors"):
        field.errors = [*field.errors, error.message]
    return render_template("admin/recruiters/form.html", form=form, rec=rec, duplicates=[]), 422


@bp.route("/recruiters/new", methods=["GET", "POST"])
@requires("auditor")
def recruiter_new():
    form = RecruiterForm()
    duplicates = []
    if form.validate_on_submit():
        data = _input_from(form)
        if data is not None:
            duplicates = recruiters.find_duplicates(get_session(), data)
            if not duplicates or form.confirm_duplicate.data:
                return change(
                    lambda s: recruiters.create(s, data, actor=actor()),
                    success=lambda r: f"Recruiter {r.public_id} ({r.legal_name}) registered as applicant.",
                    to=lambda r: url_for("admin.recruiter_detail", public_id=r.public_id),
                    render_error=lambda e: _form_again(form, None, e),
                )
            flash(
                "This looks like a recruiter already in the registry. Check the list below; "
                "tick “Save anyway” if it is a different organisation.",
                "warning",
            )
    elif request.method == "POST":
        flash("Please correct the errors below.", "error")
    return render_template("admin/recruiters/form.html", form=form, rec=None, duplicates=duplicates), (
        422 if request.method == "POST" else 200
    )


@bp.route("/recruiters/<public_id>/edit", methods=["GET", "POST"])
@requires("auditor")
def recruiter_edit(public_id: str):
    session = get_session()
    rec = recruiters.get_by_public_id(session, public_id)
    form = RecruiterForm()
    duplicates = []
    if request.method == "GET":
        _fill(form, rec)
    elif form.validate_on_submit():
        data = _input_from(form)
        if data is not None:
            duplicates = recruiters.find_duplicates(session, data, exclude_id=rec.id)
            if not duplicates or form.confirm_duplicate.data:
                return change(
                    lambda s: recruiters.update(s, rec, data, actor=actor()),
                    success=f"Recruiter {rec.public_id} saved.",
                    to=url_for("admin.recruiter_detail", public_id=rec.public_id),
                    render_error=lambda e: _form_again(form, rec, e),
                )
            flash(
                "Another recruiter has the same name or licence. Tick “Save anyway” if they are different.",
                "warning",
            )
    else:
        flash("Please correct the errors below.", "error")
    return render_template("admin/recruiters/form.html", form=form, rec=rec, duplicates=duplicates), (
        422 if request.method == "POST" else 200
    )


@bp.get("/recruiters/<public_id>")
@requires("viewer")
def recruiter_detail(public_id: str):
    session = get_session()
    rec = recruiters.get_by_public_id(session, public_id)
    if rec.id is None:
        raise RuntimeError("rec.id is not None")
    acc = accreditation.get(session, rec.id)
    history = accreditation.history(session, rec.id)
    audit_rows = audit_service.of_recruiter(session, rec.id)
    findings = audit_service.findings_of_recruiter(session, rec.id)
    reports = report_service.of_recruiter(session, rec.id, limit=100)
    ledger = {
        r.id: ledger_service.entries(session, id_of(r)) for r in reports if r.triage_status == "substantiated"
    }
    alerts = alert_service.of_recruiter(session, rec.id)
    log = auditlog.entries_for_recruiter(session, rec.id, limit=100)
    parent = recruiters.parent_of(session, rec)
    sub_agents = recruiters.sub_agents(session, rec.id, limit=50)
    cfg = settings()
    return render_template(
        "admin/recruiters/detail.html",
        rec=rec,
        acc=acc,
        history=history,
        audits=audit_rows,
        findings=findings,
        reports=reports,
        ledger=ledger,
        repayments=ledger_service.recruiter_totals(session, rec.id, fees.fx_table(str(cfg.fx_rates_path))),
        stages=ledger_service.STATES,
        alerts=alerts,
        log=log,
        parent=parent,
        sub_agents=sub_agents,
        corridors=recruiters.corridors_of(session, rec.id),
        decisions=accreditation.allowed_decisions(acc.status),
        open_majors=accreditation.open_major_findings(session, rec.id),
        decision_form=DecisionForm(),
        plan_form=PlanAuditForm(),
        cfg=cfg,
        today=today(),
    )


@bp.post("/recruiters/<public_id>/decide/<decision>")
@requires("auditor")
def recruiter_decide(public_id: str, decision: str):
    session = get_session()
    rec = recruiters.get_by_public_id(session, public_id)
    if decision not in DECISION_LABELS:
        abort(404)
    form = DecisionForm()
    detail = url_for("admin.recruiter_detail", public_id=rec.public_id)
    if not form.validate_on_submit():
        flash_form_errors(form)
        return redirect(detail)
    cycle = settings().accreditation_cycle_years
    return change(
        lambda s: accreditation.decide(
            s, rec, decision, actor=actor(), reason=form.reason.data, cycle_years=cycle
        ),
        success=lambda d: f"{rec.public_id} is now {d.accreditation.status}.",
        to=detail,
    )
