"""Printable certificate of an accredited recruiter: HTML print view and PDF."""

from __future__ import annotations

from flask import Response, flash, redirect, render_template, url_for
from markupsafe import Markup

from registry.errors import Conflict
from registry.services import certificates, recruiters
from registry.web.admin import bp
from registry.web.auth import requires
from registry.web.database import get_session, settings


def _certificate(public_id: str):
    session = get_session()
    rec = recruiters.get_by_public_id(session, public_id)
    cfg = settings()
    return rec, certificates.for_recruiter(session, rec, bot_username=cfg.telegram_bot_username,
                                           public_base_url=cfg.public_base_url)


@bp.get("/recruiters/<public_id>/certificate")
@requires("viewer")
def certificate(public_id: str):
    try:
        rec, cert = _certificate(public_id)
    except Conflict as e:
        flash(e.message, "error")
        return redirect(url_for("admin.recruiter_detail", public_id=public_id))
    return render_template("admin/certificate.html", rec=rec, cert=cert,
                           qr=Markup(certificates.qr_svg(cert.deep_link)))  # noqa: S704 - segno output


@bp.get("/recruiters/<public_id>/certificate.pdf")
@requires("viewer")
def certificate_pdf(public_id: str):
    try:
        _rec, cert = _certificate(public_id)
    except Conflict as e:
        flash(e.message, "error")
        return redirect(url_for("admin.recruiter_detail", public_id=public_id))
    return Response(certificates.pdf(cert), mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="fairrecruit-certificate-{cert.public_id}.pdf"'})
