"""Recruiters: create, update, look up, search."""

from __future__ import annotations

import secrets

from pydantic import BaseModel, Field, field_validator
from sqlalchemy import func, or_, select
from sqlmodel import Session

from registry.errors import InvalidInput, NotFound
from registry.models import Accreditation, AccreditationEvent, Corridor, LicenceRecord, Recruiter
from registry.models.accreditation import AccreditationStatus
from registry.services import search
from registry.services.countries import require_country
from registry.timeutil import utcnow

PUBLIC_ID_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: easy to read and type


def new_public_id() -> str:
    return "RA-" + "".join(secrets.choice(PUBLIC_ID_ALPHABET) for _ in range(5))


def normalize_public_id(text: str) -> str:
    t = (text or "").strip().upper().replace(" ", "")
    if not t.startswith("RA-") and t.startswith("RA") and len(t) == 7:
        t = "RA-" + t[2:]
    return t


class RecruiterInput(BaseModel):
    """Validated input for creating or updating a recruiter (admin form, CLI import, API)."""

    legal_name: str = Field(min_length=2, max_length=300)
    other_names: list[str] = Field(default_factory=list)
    country: str = Field(min_length=2, max_length=2, description="ISO 3166-1 alpha-2")
    licence_authority: str = Field(default="", max_length=120)
    licence_number: str = Field(default="", max_length=80)
    corridors: list[tuple[str, str]] = Field(default_factory=list)
    sectors: list[str] = Field(default_factory=list)
    contact_email: str = Field(default="", max_length=200)
    contact_phone: str = Field(default="", max_length=60)
    website: str = Field(default="", max_length=300)
    address: str = Field(default="", max_length=500)
    parent_public_id: str | None = None

    @field_validator("legal_name", "licence_authority", "licence_number")
    @classmethod
    def _strip(cls, v: str) -> str:
        return " ".join(v.split())

    @field_validator("country")
    @classmethod
    def _country(cls, v: str) -> str:
        return require_country(v)

    @field_validator("other_names")
    @classmethod
    def _names(cls, v: list[str]) -> list[str]:
        return [" ".join(n.split()) for n in v if n and n.strip()]

    @field_validator("corridors")
    @classmethod
    def _corridors(cls, v: list[tuple[str, str]]) -> list[tuple[str, str]]:
        return [(require_country(o), require_country(d)) for o, d in v]


def get_by_public_id(session: Session, public_id: str) -> Recruiter:
    rec = session.scalars(
        select(Recruiter).where(Recruiter.public_id == normalize_public_id(public_id))
    ).first()
    if rec is None:
        raise NotFound(f"no recruiter with public id {public_id!r}")
    return rec


def find_duplicates(session: Session, data: RecruiterInput, exclude_id: int | None = None) -> list[Recruiter]:
    """Recruiters that look like the same organisation: same licence, or the same normalised name."""
    conds = [Recruiter.search_text.like(search.normalize(data.legal_name) + "%")]
    if data.licence_number:
        conds.append((Recruiter.country == data.country) & (Recruiter.licence_number == data.licence_number))
    stmt = select(Recruiter).where(or_(*conds))
    if exclude_id:
        stmt = stmt.where(Recruiter.id != exclude_id)
    return list(session.scalars(stmt.limit(10)))


def _unique_public_id(session: Session) -> str:
    for _ in range(20):
        pid = new_public_id()
        if session.scalar(select(func.count()).select_from(Recruiter).where(Recruiter.public_id == pid)) == 0:
            return pid
    raise RuntimeError("could not allocate a public id")


def _set_corridors(session: Session, rec: Recruiter, corridors: list[tuple[str, str]]) -> None:
    existing = {
        (c.origin, c.destination): c
        for c in session.scalars(select(Corridor).where(Corridor.recruiter_id == rec.id))
    }
    wanted = set(corridors)
    for key, c in existing.items():
        if key not in wanted:
            session.delete(c)
    for o, d in corridors:
        if (o, d) not in existing:
            session.add(Corridor(recruiter_id=rec.id, origin=o, destination=d))


def _parent_id(session: Session, parent_public_id: str | None) -> int | None:
    if not parent_public_id:
        return None
    return get_by_public_id(session, parent_public_id).id


def create(session: Session, data: RecruiterInput, *, actor: str) -> Recruiter:
    """Create a recruiter; its accreditation starts as `applicant`."""
    rec = Recruiter(
        public_id=_unique_public_id(session),
        legal_name=data.legal_name,
        other_names=data.other_names,
        country=data.country,
        licence_authority=data.licence_authority,
        licence_number=data.licence_number,
        sectors=data.sectors,
        contact_email=data.contact_email,
        contact_phone=data.contact_phone,
        website=data.website,
        address=data.address,
        parent_id=_parent_id(session, data.parent_public_id),
        search_text=search.search_text(data.legal_name, data.other_names),
    )
    session.add(rec)
    session.flush()
    now = utcnow()
    session.add(Accreditation(recruiter_id=rec.id, status=AccreditationStatus.applicant, since=now))
    session.add(
        AccreditationEvent(
            recruiter_id=rec.id,
            from_status=None,
            to_status=AccreditationStatus.applicant,
            at=now,
            actor=actor,
            reason="registered as applicant",
        )
    )
    _set_corridors(session, rec, data.corridors)
    session.flush()
    return rec


def update(session: Session, rec: Recruiter, data: RecruiterInput, *, actor: str) -> Recruiter:
    for field in (
        "legal_name",
        "other_names",
        "country",
        "licence_authority",
        "licence_number",
        "sectors",
        "contact_email",
        "contact_phone",
        "website",
        "address",
    ):
        value = getattr(data, field)
        if getattr(rec, field) != value:
            setattr(rec, field, value)
    parent_id = _parent_id(session, data.parent_public_id)
    if parent_id == rec.id:
        raise InvalidInput("a recruiter cannot be its own sub-agent", field="parent_public_id")
    rec.parent_id = parent_id
    rec.search_text = search.search_text(data.legal_name, data.other_names)
    rec.updated_at = utcnow()
    _set_corridors(session, rec, data.corridors)
    session.flush()
    return rec


def corridors_of(session: Session, recruiter_id: int) -> list[tuple[str, str]]:
    return [
        tuple(r)
        for r in session.execute(
            select(Corridor.origin, Corridor.destination)
            .where(Corridor.recruiter_id == recruiter_id)
            .order_by(Corridor.origin, Corridor.destination)
        )
    ]


# --- search -----------------------------------------------------------------------------------

_cache = search.CandidateCache()


def _stamp(session: Session):
    """Changes whenever a recruiter is added or renamed (cheap: two index-friendly aggregates)."""
    return (
        session.scalar(select(func.max(Recruiter.id))),
        session.scalar(select(func.max(Recruiter.updated_at))),
    )


def _load_candidates(session: Session):
    return session.execute(select(Recruiter.id, Recruiter.search_text, Recruiter.licence_number)).all()


def search_recruiters(
    session: Session, query: str, limit: int = 10, cutoff: float = 70.0
) -> list[tuple[Recruiter, float]]:
    """Find recruiters by public id, licence number, legal name or other name; best first.

    Exact public-id and licence-number hits come first (score 100); then fuzzy name matches from a
    process-wide index of every recruiter's names, rebuilt only when recruiters change.
    """
    q = " ".join((query or "").split())
    if not q:
        return []
    results: dict[int, float] = {}
    index = _cache.get(_stamp(session), lambda: _load_candidates(session))
    pid = normalize_public_id(q)
    rid = session.scalar(select(Recruiter.id).where(Recruiter.public_id == pid))
    if rid is not None:
        results[rid] = 100.0
    for rid in index.by_code(q)[:limit]:
        results[rid] = 100.0
    for m in index.search(q, limit=limit, cutoff=cutoff):
        results.setdefault(m.key, m.score)
    ids = sorted(results, key=lambda i: -results[i])[:limit]
    if not ids:
        return []
    recs = {r.id: r for r in session.scalars(select(Recruiter).where(Recruiter.id.in_(ids)))}
    return [(recs[i], results[i]) for i in ids if i in recs]


_licence_cache = search.CandidateCache()


def search_licence_records(
    session: Session, query: str, limit: int = 5, cutoff: float = 75.0
) -> list[LicenceRecord]:
    """Rows of the imported government licence registers matching a licence number or a name."""
    q = " ".join((query or "").split())
    if not q:
        return []
    number = q.upper().replace(" ", "")
    found = list(
        session.scalars(
            select(LicenceRecord)
            .where(func.upper(func.replace(LicenceRecord.licence_number, " ", "")) == number)
            .order_by(LicenceRecord.id)
            .limit(limit)
        )
    )
    stamp = tuple(
        session.execute(
            select(
                func.count(LicenceRecord.id), func.max(LicenceRecord.imported_at), func.max(LicenceRecord.id)
            )
        ).one()
    )
    index = _licence_cache.get(
        stamp,
        lambda: [
            (i, search.search_text(name))
            for i, name in session.execute(select(LicenceRecord.id, LicenceRecord.name))
        ],
    )
    ids = [m.key for m in index.search(q, limit=limit, cutoff=cutoff) if m.key not in {r.id for r in found}]
    if ids:
        rows = {r.id: r for r in session.scalars(select(LicenceRecord).where(LicenceRecord.id.in_(ids)))}
        found.extend(rows[i] for i in ids if i in rows)
    return found[:limit]
