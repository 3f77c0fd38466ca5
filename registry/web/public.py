"""Public pages: / (what this is, search box), /verify?q= (search), /verify/<public_id> (status card),
/healthz. Plain HTML for cheap phones on slow links: no JavaScript, one small stylesheet, no
external assets."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask import Blueprint, Flask, jsonify, redirect, render_template, request, url_for
from sqlalchemy import func, select, text

from registry.errors import NotFound
from registry.extensions import get_session, settings
from registry.models import Accreditation, FeeReport, LicenceRecord, Recruiter
from registry.models.accreditation import AccreditationStatus as S
from registry.services import accreditation, recruiters
from registry.services.countries import country_name
from registry.timeutil import today
from registry.web.i18n import current_language

bp = Blueprint("public", __name__)

MAX_QUERY = 200
# Official licence registers a worker can check, by country of the recruiter.
GOVERNMENT_REGISTERS = {
    "NP": ("Department of Foreign Employment (DoFE), Nepal", "https://dofe.gov.np"),
    "BD": ("Bureau of Manpower, Employment and Training (BMET), Bangladesh", "https://bmet.gov.bd"),
    "PH": ("Department of Migrant Workers (DMW), Philippines", "https://dmw.gov.ph"),
    "ID": ("BP2MI, Indonesia", "https://bp2mi.go.id"),
    "HK": ("Labour Department, Hong Kong", "https://www.eaa.labour.gov.hk"),
}
BAD_LICENCE = {"expired", "suspended", "cancelled", "delisted", "banned"}


@dataclass
class Card:
    """Everything the status card shows about one recruiter (no worker data, aggregates only)."""

    recruiter: Recruiter
    status: str
    since: date | None
    valid_until: date | None
    last_audit: date | None
    open_major: int
    substantiated_reports: int
    corridors: list[tuple[str, str]]
    parent: Recruiter | None
    certificate_number: str | None = None
    warnings: list[str] = field(default_factory=list)


def build_card(session, rec: Recruiter) -> Card:
    try:
        acc = accreditation.get(session, rec.id)
    except NotFound:  # registered in bulk without an accreditation record yet: an applicant
        acc = Accreditation(recruiter_id=rec.id, status=S.applicant, since=rec.created_at)
    status = acc.status
    if status == S.accredited and acc.valid_until and acc.valid_until < today():
        status = S.expired  # the nightly check has not run yet: never show a lapsed accreditation as valid
    audit = accreditation.latest_performed_audit(session, rec.id)
    reports = (
        session.scalar(
            select(func.count())
            .select_from(FeeReport)
            .where(FeeReport.recruiter_id == rec.id, FeeReport.triage_status == "substantiated")
        )
        or 0
    )
    parent = session.get(Recruiter, rec.parent_id) if rec.parent_id else None
    since = acc.since.date() if acc.since else None
    valid_until = acc.valid_until
    if status == S.expired and acc.status == S.accredited:
        since = acc.valid_until
    card = Card(
        recruiter=rec,
        status=status,
        since=since,
        valid_until=valid_until,
        last_audit=audit.performed_date if audit else None,
        open_major=accreditation.open_major_findings(session, rec.id),
        substantiated_reports=reports,
        corridors=recruiters.corridors_of(session, rec.id),
        parent=parent,
        certificate_number=acc.certificate_number if status == S.accredited else None,
    )
    if rec.licence_status in BAD_LICENCE:
        card.warnings.append("licence_bad")
    elif rec.licence_status == "unknown":
        card.warnings.append("licence_unknown")
    if card.open_major:
        card.warnings.append("open_major")
    if card.substantiated_reports:
        card.warnings.append("fee_reports")
    if parent is not None:
        card.warnings.append("sub_agent")
    return card


def _bot_url(start: str | None = None) -> str:
    url = f"https://t.me/{settings().telegram_bot_username}"
    return f"{url}?start={start}" if start else url


def _licence_matches(session, q: str) -> list[LicenceRecord]:
    return recruiters.search_licence_records(session, q, limit=5)


@bp.context_processor
def _helpers():
    return {"country": lambda code: country_name(code, current_language())}


@bp.get("/")
def index():
    return render_template("public/index.html", bot_url=_bot_url(), q="")


@bp.get("/verify")
def verify():
    q = " ".join((request.args.get("q") or "").split())[:MAX_QUERY]
    if not q:
        return render_template("public/index.html", bot_url=_bot_url(), q="", empty_query="q" in request.args)
    session = get_session()
    hits = recruiters.search_recruiters(session, q, limit=10)
    if hits and hits[0][0].public_id == recruiters.normalize_public_id(q):
        # an ID typed or scanned from a certificate: straight to the card
        return redirect(url_for("public.card", public_id=hits[0][0].public_id))
    rows = []
    if hits:
        ids = [r.id for r, _ in hits]
        statuses = dict(_statuses(session, ids))
        rows = [(r, statuses.get(r.id, S.applicant)) for r, _ in hits]
    licences = [] if rows else _licence_matches(session, q)
    return render_template(
        "public/results.html",
        q=q,
        rows=rows,
        licences=licences,
        registers=GOVERNMENT_REGISTERS,
        bot_url=_bot_url(),
    )


def _statuses(session, ids: list[int]) -> list[tuple[int, str]]:
    out = []
    rows = session.execute(
        select(Accreditation.recruiter_id, Accreditation.status, Accreditation.valid_until).where(
            Accreditation.recruiter_id.in_(ids)
        )
    ).all()
    for rid, status, valid_until in rows:
        if status == S.accredited and valid_until and valid_until < today():
            status = S.expired
        out.append((rid, status))
    return out


@bp.get("/verify/<public_id>")
def card(public_id: str):
    session = get_session()
    try:
        rec = recruiters.get_by_public_id(session, public_id[:20])
    except NotFound:
        q = public_id[:20]
        return (
            render_template(
                "public/results.html",
                q=q,
                rows=[],
                licences=_licence_matches(session, q),
                registers=GOVERNMENT_REGISTERS,
                bot_url=_bot_url(),
                not_found_id=True,
            ),
            404,
        )
    if rec.public_id != public_id:
        return redirect(url_for("public.card", public_id=rec.public_id), code=301)
    c = build_card(session, rec)
    return render_template(
        "public/card.html",
        card=c,
        registers=GOVERNMENT_REGISTERS,
        bot_url=_bot_url(),
        follow_url=_bot_url("v_" + rec.public_id),
    )


@bp.get("/healthz")
def healthz():
    try:
        get_session().execute(text("SELECT 1"))
    except Exception as e:  # pragma: no cover - exercised with a broken database
        return jsonify(status="error", database=type(e).__name__), 503
    return jsonify(status="ok", database="ok")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
