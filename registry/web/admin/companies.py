"""Companies: create, API keys (plaintext shown once), supplier list, webhooks and their delivery log.

Every form redirects (Post/Redirect/Get), so a reload never creates a second key or webhook; a new key
or signing secret is kept in a one-time slot (registry.web.once) and shown by the page the form
redirects to, once.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from registry.errors import DomainError
from registry.extensions import get_session, settings
from registry.models import Company, id_of
from registry.services import auditlog, circuits, delivery
from registry.services import companies as company_service
from registry.web.admin import bp
from registry.web.admin.common import Page, change, flash_form_errors, page_arg
from registry.web.admin.forms import ApiKeyForm, CompanyForm, ConfirmForm, SupplierForm, WebhookForm
from registry.web.auth import actor, requires
from registry.web.forms import required
from registry.web.once import keep, take

PER_PAGE = 50
DELIVERIES = 50


@bp.get("/companies")
@requires("admin")
def company_list():
    page = page_arg()
    found = company_service.list_page(get_session(), page=page, per_page=PER_PAGE)
    if found.total is None:
        raise RuntimeError("found.total is not None")
    return render_template(
        "admin/companies/list.html", page=Page(found.rows, page, PER_PAGE, found.total), form=CompanyForm()
    )


@bp.post("/companies")
@requires("admin")
def company_create():
    form = CompanyForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return redirect(url_for("admin.company_list"))
    session = get_session()
    if form.name.data is None:
        raise RuntimeError("form.name.data is not None")
    existing = company_service.by_name(session, form.name.data)
    if existing is not None:
        flash(f"{existing.name} already exists.", "warning")
        return redirect(url_for("admin.company_detail", company_id=existing.id))
    return change(
        lambda s: company_service.get_or_create(s, required(form.name.data))[0],
        success=lambda c: f"Company {c.name} created. Create an API key for it below.",
        to=lambda c: url_for("admin.company_detail", company_id=c.id),
        on_error=url_for("admin.company_list"),
    )


def _detail(company: Company):
    session = get_session()
    cid = id_of(company)
    scope = str(cid)
    new_key = take(session, "api_key", scope)
    new_webhook = take(session, "webhook_secret", scope)
    session.commit()  # a secret shown now is gone from its slot
    keys = company_service.keys_of(session, cid)
    suppliers = company_service.suppliers_page(session, cid, limit=500)
    webhooks = company_service.list_webhooks(session, cid)
    deliveries = company_service.recent_deliveries(session, [id_of(w) for w in webhooks], limit=DELIVERIES)
    urls = {w.id: w.url for w in webhooks}
    return render_template(
        "admin/companies/detail.html",
        company=company,
        keys=keys,
        suppliers=suppliers.rows,
        supplier_total=suppliers.total,
        webhooks=webhooks,
        deliveries=deliveries,
        urls=urls,
        new_key=new_key,
        new_webhook=new_webhook,
        describe_delivery=delivery.describe,
        key_form=ApiKeyForm(formdata=None),
        supplier_form=SupplierForm(formdata=None),
        webhook_form=WebhookForm(formdata=None),
        confirm_form=ConfirmForm(),
    )


@bp.get("/companies/<int:company_id>")
@requires("admin")
def company_detail(company_id: int):
    return _detail(company_service.get(get_session(), company_id))


def _once(company: Company, action, kind: str, reveal, success: str, anchor: str):
    """Create something whose secret is shown once: keep the secret in a one-time slot, commit, and
    redirect to the company's page, which shows it (never in a flash message or the redirect)."""
    session = get_session()
    auditlog.set_actor(session, actor())
    to = url_for("admin.company_detail", company_id=company.id)
    try:
        result = action(session)
        keep(session, kind, str(company.id), reveal(result))
        session.commit()
    except DomainError as e:
        session.rollback()
        flash(e.message, "error")
        return redirect(to + anchor)
    flash(success, "success")
    return redirect(to + anchor)


@bp.post("/companies/<int:company_id>/keys")
@requires("admin")
def api_key_create(company_id: int):
    company = company_service.get(get_session(), company_id)
    form = ApiKeyForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return redirect(url_for("admin.company_detail", company_id=company.id))
    return _once(
        company,
        lambda s: company_service.create_api_key(
            s, company, name=form.name.data or "", scopes=form.scopes.data
        ),
        "api_key",
        lambda new: {"plaintext": new.plaintext, "prefix": new.key.prefix},
        "API key created. Copy it now: it will not be shown again.",
        "#new-key",
    )


@bp.post("/companies/<int:company_id>/keys/<int:key_id>/revoke")
@requires("admin")
def api_key_revoke(company_id: int, key_id: int):
    session = get_session()
    company = company_service.get(session, company_id)
    key = company_service.get_key(session, company_id, key_id)
    form = ConfirmForm()
    to = url_for("admin.company_detail", company_id=company.id)
    return change(
        lambda s: company_service.revoke(s, key),
        success=f"API key {key.prefix}… revoked; requests with it are refused from now on.",
        to=to,
        form=form,
    )


@bp.post("/companies/<int:company_id>/suppliers")
@requires("admin")
def supplier_add(company_id: int):
    company = company_service.get(get_session(), company_id)
    form = SupplierForm()
    to = url_for("admin.company_detail", company_id=company.id) + "#suppliers"
    return change(
        lambda s: company_service.add_supplier(s, company, required(form.public_id.data)),
        success=lambda r: (
            f"{required(form.public_id.data).upper()} added to the supplier list."
            if r[1]
            else f"{required(form.public_id.data).upper()} was already on the list."
        ),
        to=to,
        form=form,
    )


@bp.post("/companies/<int:company_id>/suppliers/<public_id>/remove")
@requires("admin")
def supplier_remove(company_id: int, public_id: str):
    company = company_service.get(get_session(), company_id)
    form = ConfirmForm()
    to = url_for("admin.company_detail", company_id=company.id) + "#suppliers"
    return change(
        lambda s: company_service.remove_supplier(s, company, public_id),
        success=f"{public_id} removed from the supplier list.",
        to=to,
        form=form,
    )


@bp.post("/companies/<int:company_id>/webhooks")
@requires("admin")
def webhook_create(company_id: int):
    company = company_service.get(get_session(), company_id)
    form = WebhookForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return redirect(url_for("admin.company_detail", company_id=company.id) + "#webhooks")
    return _once(
        company,
        lambda s: company_service.create_webhook(
            s,
            company,
            url=required(form.url.data),
            events=form.events.data,
            production=settings().is_production,
            allow_private=settings().webhook_allow_private,
        ),
        "webhook_secret",
        lambda new: {"secret": new.secret, "url": new.endpoint.url},
        "Webhook added. Copy its signing secret now: it will not be shown again.",
        "#new-webhook",
    )


@bp.post("/companies/<int:company_id>/webhooks/<int:webhook_id>/delete")
@requires("admin")
def webhook_delete(company_id: int, webhook_id: int):
    company = company_service.get(get_session(), company_id)
    form = ConfirmForm()
    to = url_for("admin.company_detail", company_id=company.id) + "#webhooks"
    return change(
        lambda s: company_service.delete_webhook(s, company_id, webhook_id),
        success="Webhook deleted; its undelivered messages were dropped.",
        to=to,
        form=form,
    )


@bp.post("/companies/<int:company_id>/webhooks/<int:webhook_id>/enable")
@requires("admin")
def webhook_enable(company_id: int, webhook_id: int):
    company = company_service.get(get_session(), company_id)
    to = url_for("admin.company_detail", company_id=company.id) + "#webhooks"
    return change(
        lambda s: company_service.enable_webhook(s, company_id, webhook_id),
        success="Webhook enabled; its circuit starts closed.",
        to=to,
        form=ConfirmForm(),
    )


@bp.post("/companies/<int:company_id>/webhooks/<int:webhook_id>/test")
@requires("admin")
def webhook_test(company_id: int, webhook_id: int):
    company = company_service.get(get_session(), company_id)
    form = ConfirmForm()
    to = url_for("admin.company_detail", company_id=company.id) + "#deliveries"
    return change(
        lambda s: company_service.send_test_event(s, company_id, webhook_id),
        success="Test event queued; it appears in the delivery log below.",
        to=to,
        form=form,
    )


@bp.get("/deliveries")
@requires("admin")
def delivery_log():
    """Every outgoing webhook message (the outbox), newest first, filterable by status."""
    status = request.args.get("status", "")
    page = page_arg()
    found = company_service.deliveries_page(get_session(), status=status, page=page, per_page=PER_PAGE)
    if found.total is None:
        raise RuntimeError("found.total is not None")
    return render_template(
        "admin/companies/deliveries.html",
        page=Page(found.rows, page, PER_PAGE, found.total),
        status=status,
        describe_delivery=delivery.describe,
    )


@bp.post("/deliveries/<int:message_id>/redeliver")
@requires("admin")
def delivery_redeliver(message_id: int):
    """A dead message goes back to the outbox, due now (the audit log names the admin)."""
    return change(
        lambda s: circuits.redeliver(s, message_id, actor=actor()),
        success="Message queued for delivery again; it appears as pending below.",
        to=url_for("admin.delivery_log"),
        form=ConfirmForm(),
    )
