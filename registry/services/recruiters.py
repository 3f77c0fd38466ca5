"""Recruiters: create, update, look up, search.

A new recruiter is written as one set of rows (``new_recruiter_rows``): the recruiter itself (with its
search text and licence key), its corridors, its ``applicant`` accreditation and the first event of
its history. ``create`` writes them through the ORM (the audit-log hook records them); the recruiters
import and the volume seed write the same rows in bulk, with the same audit-log entries
(``RecruiterRows.audit_entries``).
"""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from pydantic import BaseModel, Field, field_validator
from sqlalchemy import func, or_, select
from sqlalchemy.engine import Connection
from sqlmodel import Session

from registry.errors import InvalidInput, NotFound
from registry.models import Accreditation, AccreditationEvent, Corridor, LicenceRecord, Recruiter
from registry.models.accreditation import AccreditationStatus
from registry.models.recruiters import LicenceStatus
from registry.services import auditlog, bulk, identifiers, search
from registry.services.auditlog import PendingEntry
from registry.services.countries import require_country
from registry.services.identifiers import PUBLIC_ID_ALPHABET, PUBLIC_ID_LENGTH, PUBLIC_ID_PREFIX
from registry.timeutil import utcnow

REGISTERED = "registered as applicant"


def new_public_id() -> str:
    return PUBLIC_ID_PREFIX + "".join(secrets.choice(PUBLIC_ID_ALPHABET) for _ in range(PUBLIC_ID_LENGTH))


def new_public_ids(conn: Connection, rng: random.Random, n: int) -> list[str]:
    """`n` public ids that no recruiter has yet (for bulk writes, inside the writing transaction)."""
    R = Recruiter.__table__
    taken = set(conn.execute(select(R.c.public_id)).scalars())
    return bulk.unique_codes(
        rng, PUBLIC_ID_ALPHABET, PUBLIC_ID_LENGTH, taken, n, lambda code: PUBLIC_ID_PREFIX + code
    )


def normalize_public_id(text: str) -> str:
    """The stored form of a public id however it is typed (``identifiers.public_id_key``); '' when the
    text cannot be a public id."""
    return identifiers.public_id_key(text) or ""


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
    key = identifiers.licence_key(data.licence_number)
    if key:
        conds.append((Recruiter.licence_key == key) & (Recruiter.country == data.country))
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
    for o, d in dict.fromkeys(corridors):
        if (o, d) not in existing:
            session.add(Corridor(recruiter_id=rec.id, origin=o, destination=d))


def _parent_id(session: Session, parent_public_id: str | None) -> int | None:
    if not parent_public_id:
        return None
    return get_by_public_id(session, parent_public_id).id


@dataclass
class RecruiterRows:
    """The rows that register one recruiter, as dicts of column values."""

    recruiter: dict
    corridors: list[dict]
    accreditation: dict  # status applicant
    event: dict  # the first event of its history: -> applicant

    def set_recruiter_id(self, recruiter_id: int) -> None:
        for row in (self.accreditation, self.event, *self.corridors):
            row["recruiter_id"] = recruiter_id

    def audit_entries(self, actor: str) -> list[PendingEntry]:
        """The audit-log entries of these rows (ids set), as the hook writes them for `create`."""
        created = auditlog.created_entry
        return [
            created(actor, Recruiter, self.recruiter),
            *(created(actor, Corridor, c) for c in self.corridors),
            created(actor, Accreditation, self.accreditation),
            created(actor, AccreditationEvent, self.event),
        ]


def _no_id(_table: str) -> None:
    return None


class RecruiterFields(Protocol):
    """What the row builder reads: a validated ``RecruiterInput``, or values the volume seed generates."""

    legal_name: str
    other_names: list[str]
    country: str
    licence_authority: str
    licence_number: str
    corridors: list[tuple[str, str]]
    sectors: list[str]
    contact_email: str
    contact_phone: str
    website: str
    address: str


def new_recruiter_rows(
    data: RecruiterFields,
    *,
    public_id: str,
    at: datetime,
    actor: str,
    reason: str = REGISTERED,
    parent_id: int | None = None,
    licence_status: str = LicenceStatus.unknown.value,
    search_text: str | None = None,
    ids: bulk.Ids | None = None,
) -> RecruiterRows:
    """The rows of a new recruiter registered at `at` as an applicant.

    With `ids` (bulk writes) every row gets its id; without, the ids are None: the database assigns
    them and the caller sets the recruiter id of the other rows once it is known (``set_recruiter_id``). `search_text`
    may be passed when it is already known (generated names repeat)."""
    take = ids.take if ids is not None else _no_id
    rid = take("recruiter")
    if search_text is None:
        search_text = search.search_text(data.legal_name, data.other_names)
    recruiter = {
        "id": rid,
        "public_id": public_id,
        "legal_name": data.legal_name,
        "other_names": data.other_names,
        "country": data.country,
        "licence_authority": data.licence_authority,
        "licence_number": data.licence_number,
        "licence_key": identifiers.licence_key(data.licence_number),
        "sectors": data.sectors,
        "contact_email": data.contact_email,
        "contact_phone": data.contact_phone,
        "website": data.website,
        "address": data.address,
        "licence_status": licence_status,
        "licence_valid_until": None,
        "licence_checked_at": None,
        "parent_id": parent_id,
        "search_text": search_text,
        "created_at": at,
        "updated_at": at,
    }
    corridors = [
        {"id": take("corridor"), "recruiter_id": rid, "origin": o, "destination": d}
        for o, d in dict.fromkeys(data.corridors)
    ]
    accreditation = {
        "recruiter_id": rid,
        "status": AccreditationStatus.applicant.value,
        "since": at,
        "valid_from": None,
        "valid_until": None,
        "certificate_number": None,
        "updated_at": at,
    }
    event = {
        "id": take("accreditation_event"),
        "recruiter_id": rid,
        "from_status": None,
        "to_status": AccreditationStatus.applicant.value,
        "at": at,
        "actor": actor,
        "reason": reason,
        "audit_id": None,
        "report_id": None,
        "valid_from": None,
        "valid_until": None,
    }
    return RecruiterRows(recruiter, corridors, accreditation, event)


def create(session: Session, data: RecruiterInput, *, actor: str) -> Recruiter:
    """Create a recruiter; its accreditation starts as `applicant`."""
    rows = new_recruiter_rows(
        data,
        public_id=_unique_public_id(session),
        at=utcnow(),
        actor=actor,
        parent_id=_parent_id(session, data.parent_public_id),
    )
    rec = Recruiter(**rows.recruiter)
    session.add(rec)
    session.flush()
    rows.set_recruiter_id(rec.id)
    session.add(Accreditation(**rows.accreditation))
    session.add(AccreditationEvent(**rows.event))
    session.add_all([Corridor(**c) for c in rows.corridors])
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
    rec.licence_key = identifiers.licence_key(data.licence_number)
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
    return session.execute(select(Recruiter.id, Recruiter.search_text)).all()


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
    pid = identifiers.public_id_key(q)
    if pid is not None:
        rid = session.scalar(select(Recruiter.id).where(Recruiter.public_id == pid))
        if rid is not None:
            results[rid] = 100.0
    key = identifiers.licence_key(q)
    if key:
        for rid in session.scalars(
            select(Recruiter.id).where(Recruiter.licence_key == key).order_by(Recruiter.id).limit(limit)
        ):
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
    key = identifiers.licence_key(q)
    found = (
        list(
            session.scalars(
                select(LicenceRecord)
                .where(LicenceRecord.licence_key == key)
                .order_by(LicenceRecord.id)
                .limit(limit)
            )
        )
        if key
        else []
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
