"""Public pages: / (what this is, search box), /verify?q= (search), /verify/<public_id> (status card).
Plain HTML for cheap phones on slow links: no JavaScript, one small stylesheet, no external assets.
(/healthz and /readyz live in registry.web.health.)"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask import Blueprint, Flask, redirect, render_template, request, url_for

from registry.errors import NotFound
from registry.extensions import get_session, settings
from registry.models import LicenceRecord, Recruiter, id_of
from registry.models.accreditation import AccreditationStatus as S
from registry.services import lookup, recruiters, standing
from registry.services.countries import country_name
from registry.timeutil import today
from registry.web.i18n import current_language

bp = Blueprint("public", __name__)

MAX_QUERY = lookup.MAX_QUERY
GOVERNMENT_REGISTERS = lookup.GOVERNMENT_REGISTERS


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
    parent: standing.Party | None
    certificate_number: str | None = None
    warnings: list[str] = field(default_factory=list)


def build_card(session, rec: Recruiter) -> Card:
    st = standing.standing_of(session, id_of(rec), as_of=today())
    if st is None:
        raise RuntimeError("the recruiter exists")
    return Card(
        recruiter=rec,
        status=st.status,
        since=st.since_date,
        valid_until=st.valid_until,
        last_audit=st.last_audit,
        open_major=st.open_major_findings,
        substantiated_reports=st.substantiated_reports,
        corridors=list(st.corridors),
        parent=st.parent,
        certificate_number=st.certificate_number,
        warnings=list(st.warnings),
    )


def _bot_url(start: str | None = None) -> str:
    url = f"https://t.me/{settings().telegram_bot_username}"
    return f"{url}?start={start}" if start else url


def _licence_matches(session, q: str) -> list[LicenceRecord]:
    return recruiters.search_licence_records(session, q, limit=5)


@bp.context_processor
def _helpers():
    return {
        "country": lambda code: country_name(code, current_language()),
        "bad_licence": standing.BAD_LICENCE,
    }


@bp.get("/")
def index():
    return render_template("public/index.html", bot_url=_bot_url(), q="")


@bp.get("/verify")
def verify():
    q = " ".join((request.args.get("q") or "").split())[:MAX_QUERY]
    if not q:
        return render_template("public/index.html", bot_url=_bot_url(), q="", empty_query="q" in request.args)
    session = get_session()
    answer = lookup.lookup(session, q, limit=10)
    if answer.kind == lookup.HELP:
        return render_template("public/index.html", bot_url=_bot_url(), q="", help_query=True)
    if answer.kind == lookup.EXACT and answer.recruiter is not None and "none" not in request.args:
        # no doubt which recruiter is meant (docs/verify-rule.md): straight to its card
        return redirect(url_for("public.card", public_id=answer.recruiter.public_id))
    rows = []
    if answer.kind == lookup.CANDIDATES and "none" not in request.args:
        recs = [c.recruiter for c in answer.candidates]
        statuses = dict(_statuses(session, [id_of(r) for r in recs]))
        rows = [(r, statuses.get(id_of(r), S.applicant)) for r in recs]
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
    return [(rid, v.status) for rid, v in standing.verdicts_of(session, ids, as_of=today()).items()]


@bp.get("/verify/<public_id>")
def card(public_id: str):
    session = get_session()
    try:
        rec = recruiters.get_by_public_id(session, public_id[:20])
    except NotFound:
        q = public_id[:20]
        answer = lookup.lookup(session, q)
        if answer.kind == lookup.EXACT and answer.how == "public_id" and answer.recruiter is not None:
            # an id with a character no id holds, read as the one it was taken for
            return redirect(url_for("public.card", public_id=answer.recruiter.public_id), code=301)
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


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
