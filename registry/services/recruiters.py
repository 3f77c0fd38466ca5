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
from datetime import date, datetime
from typing import Protocol, cast

from pydantic import BaseModel, Field, field_validator
from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.engine import Connection
from sqlmodel import Session, col

from registry.errors import InvalidInput, NotFound
from registry.models import Accreditation, AccreditationEvent, Corridor, LicenceRecord, Recruiter, table_of
from registry.models.accreditation import AccreditationStatus
from registry.models.recruiters import LicenceStatus
from registry.services import auditlog, bulk, cleantext, identifiers, name_index, paging, search, standing
from registry.services.auditlog import PendingEntry
from registry.services.countries import require_country
from registry.services.identifiers import PUBLIC_ID_ALPHABET, PUBLIC_ID_LENGTH, PUBLIC_ID_PREFIX
from registry.timeutil import utcnow

REGISTERED = "registered as applicant"


def new_public_id() -> str:
    return PUBLIC_ID_PREFIX + "".join(secrets.choice(PUBLIC_ID_ALPHABET) for _ in range(PUBLIC_ID_LENGTH))


def new_public_ids(conn: Connection, rng: random.Random, n: int) -> list[str]:
    """`n` public ids that no recruiter has yet (for bulk writes, inside the writing transaction)."""
    R = table_of(Recruiter)
    taken = set(conn.execute(select(R.c.public_id)).scalars())
    return bulk.unique_codes(
        rng, PUBLIC_ID_ALPHABET, PUBLIC_ID_LENGTH, taken, n, lambda code: PUBLIC_ID_PREFIX + code
    )


def normalize_public_id(text: str) -> str:
    """The stored form of a public id however typed (``identifiers.public_id_key``), or ''."""
    return identifiers.public_id_key(text) or ""


NAME_VALUES: tuple[str, ...] = ("legal_name", "licence_authority", "licence_number", "contact_email")
NAME_VALUES += ("contact_phone", "website", "official_phone")  # cleaned as one-line names


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
    official_address: str = Field(default="", max_length=500)
    official_phone: str = Field(default="", max_length=60)
    parent_public_id: str | None = None

    @field_validator(*NAME_VALUES)
    @classmethod
    def _strip(cls, v: str) -> str:
        return cleantext.name_value(v)

    @field_validator("address", "official_address")
    @classmethod
    def _text(cls, v: str) -> str:
        return cleantext.clean_text(v)

    @field_validator("country")
    @classmethod
    def _country(cls, v: str) -> str:
        return require_country(v)

    @field_validator("other_names", "sectors")
    @classmethod
    def _names(cls, v: list[str]) -> list[str]:
        return [n for n in map(cleantext.name_value, v) if n]

    @field_validator("corridors")
    @classmethod
    def _corridors(cls, v: list[tuple[str, str]]) -> list[tuple[str, str]]:
        return [(require_country(o), require_country(d)) for o, d in v]


def get_by_public_id(session: Session, public_id: str) -> Recruiter:
    rec = session.scalars(
        select(Recruiter).where(col(Recruiter.public_id) == normalize_public_id(public_id))
    ).first()
    if rec is None:
        raise NotFound(f"no recruiter with public id {public_id!r}")
    return rec


def find_duplicates(session: Session, data: RecruiterInput, exclude_id: int | None = None) -> list[Recruiter]:
    """Recruiters that look like the same organisation: same licence, or the same normalised name."""
    conds: list[ColumnElement[bool]] = [
        col(Recruiter.search_text).like(search.normalize(data.legal_name) + "%")
    ]
    key = identifiers.licence_key(data.licence_number)
    if key:
        conds.append((col(Recruiter.licence_key) == key) & (col(Recruiter.country) == data.country))
    stmt = select(Recruiter).where(or_(*conds))
    if exclude_id:
        stmt = stmt.where(col(Recruiter.id) != exclude_id)
    return list(session.scalars(stmt.limit(10)))


def _unique_public_id(session: Session) -> str:
    for _ in range(20):
        pid = new_public_id()
        taken = select(func.count()).select_from(Recruiter).where(col(Recruiter.public_id) == pid)
        if session.scalar(taken) == 0:
            return pid
    raise RuntimeError("could not allocate a public id")


def _set_corridors(session: Session, rec: Recruiter, corridors: list[tuple[str, str]]) -> None:
    if rec.id is None:
        raise RuntimeError("rec.id is not None")
    existing = {
        (c.origin, c.destination): c
        for c in session.scalars(select(Corridor).where(col(Corridor.recruiter_id) == rec.id))
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
    official_address: str
    official_phone: str


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
        "official_address": data.official_address,
        "official_phone": data.official_phone,
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
    if rec.id is None:
        raise RuntimeError("rec.id is not None")
    rows.set_recruiter_id(rec.id)
    session.add(Accreditation(**rows.accreditation))
    session.add(AccreditationEvent(**rows.event))
    session.add_all([Corridor(**c) for c in rows.corridors])
    session.flush()
    return rec


EDITABLE_FIELDS = (  # what an update changes on the row itself (corridors and the parent apart)
    *("legal_name", "other_names", "country", "licence_authority", "licence_number", "sectors"),
    *("contact_email", "contact_phone", "website", "address", "official_address", "official_phone"),
)


def update(session: Session, rec: Recruiter, data: RecruiterInput, *, actor: str) -> Recruiter:
    for field in EDITABLE_FIELDS:
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
            select(col(Corridor.origin), col(Corridor.destination))
            .where(col(Corridor.recruiter_id) == recruiter_id)
            .order_by(Corridor.origin, Corridor.destination)
        )
    ]


# --- search -----------------------------------------------------------------------------------


def search_recruiters(
    session: Session, query: str, limit: int = 10, cutoff: float = 70.0
) -> list[tuple[Recruiter, float]]:
    """Find recruiters by public id, licence number, legal name or other name; best first.

    Exact public-id and licence-number hits come first (score 100); then fuzzy name matches from a
    process-wide index of every recruiter's names, rebuilt only when recruiters change.
    """
    found = search_recruiter_ids(session, query, limit=limit, cutoff=cutoff)
    if not found:
        return []
    ids = [i for i, _score in found]
    recs = {r.id: r for r in session.scalars(select(Recruiter).where(col(Recruiter.id).in_(ids)))}
    return [(recs[i], score) for i, score in found if i in recs]


def search_recruiter_ids(
    session: Session, query: str, limit: int = 10, cutoff: float = 70.0
) -> list[tuple[int, float]]:
    """`search_recruiters` without loading the recruiters: (id, score), best first."""
    q = " ".join((query or "").split())
    if not q:
        return []
    results: dict[int, float] = {}
    index = name_index.current(session)
    pid = identifiers.public_id_key(q)
    if pid is not None:
        rid = session.scalar(select(col(Recruiter.id)).where(col(Recruiter.public_id) == pid))
        if rid is not None:
            results[rid] = 100.0
    key = identifiers.licence_key(q)
    if key:
        for rid in session.scalars(
            select(col(Recruiter.id))
            .where(col(Recruiter.licence_key) == key)
            .order_by(col(Recruiter.id))
            .limit(limit)
        ):
            if rid is None:
                raise RuntimeError("a primary key")
            results[rid] = 100.0
    for m in index.search(q, limit=limit, cutoff=cutoff):
        results.setdefault(cast(int, m.key), m.score)  # the index is keyed by recruiter id
    return [(i, results[i]) for i in sorted(results, key=lambda i: -results[i])[:limit]]


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
                .where(col(LicenceRecord.licence_key) == key)
                .order_by(col(LicenceRecord.id))
                .limit(limit)
            )
        )
        if key
        else []
    )
    stamp = tuple(
        session.execute(
            select(
                func.count(col(LicenceRecord.id)),
                func.max(col(LicenceRecord.imported_at)),
                func.max(col(LicenceRecord.id)),
            )
        ).one()
    )
    index = _licence_cache.get(
        stamp,
        lambda: [
            (i, search.search_text(name))
            for i, name in session.execute(select(col(LicenceRecord.id), col(LicenceRecord.name)))
        ],
    )
    ids = [m.key for m in index.search(q, limit=limit, cutoff=cutoff) if m.key not in {r.id for r in found}]
    if ids:
        rows = {r.id: r for r in session.scalars(select(LicenceRecord).where(col(LicenceRecord.id).in_(ids)))}
        found.extend(rows[i] for i in ids if i in rows)
    return found[:limit]


# --- lists (admin panel, API) -------------------------------------------------------------------


@dataclass(frozen=True)
class RecruiterFilters:
    """What a list of recruiters can be narrowed by; empty means any. Unknown status names are
    ignored (the admin panel's query string); the API validates them before."""

    q: str = ""
    country: str = ""
    status: str = ""
    licence_status: str = ""
    licence_number: str = ""
    # Status as the standing rule reads it on this day (validity applied; the API); None: the status
    # as recorded (the admin panel, which flags a lapsed accreditation itself).
    as_of: date | None = None

    def conditions(self) -> list:
        conds = []
        if self.status in AccreditationStatus.__members__:
            if self.as_of is None:
                conds.append(Accreditation.status == self.status)
            else:
                conds.append(standing.status_filter(self.status, self.as_of))
        if self.country:
            conds.append(Recruiter.country == self.country.upper())
        if self.licence_status in LicenceStatus.__members__:
            conds.append(Recruiter.licence_status == self.licence_status)
        if self.licence_number:
            conds.append(Recruiter.licence_key == identifiers.licence_key(self.licence_number))
        return conds


# The admin list's sorts (name -> keyset columns and direction); with a search, "relevance" too.
PANEL_SORTS: dict[str, list[tuple]] = {
    "newest": [(Recruiter.id, False)],
    "oldest": [(Recruiter.id, True)],
    "name": [(Recruiter.legal_name, True), (Recruiter.id, True)],
    "public_id": [(Recruiter.public_id, True)],
}
PANEL_SEARCH_LIMIT = 500  # a search takes the best matches; filters, sorting and paging apply to those


def panel_page(
    session: Session,
    filters: RecruiterFilters,
    *,
    sort: str,
    page: int,
    per_page: int,
    after: list | None = None,
    before: list | None = None,
) -> paging.ListPage:
    """A page of the admin list, rows of (Recruiter, Accreditation), with the list's total.

    With a search (`filters.q`): the best matches, sorted by `sort` (or by relevance), paged by
    `page`. Otherwise by keyset (`after`/`before`: the sort values of a row, see PANEL_SORTS), or by
    `page` when neither is given."""
    base = select(Recruiter, Accreditation).join(
        Accreditation, col(Accreditation.recruiter_id) == col(Recruiter.id)
    )
    conds = filters.conditions()
    if filters.q:
        score = {r.id: s for r, s in search_recruiters(session, filters.q, limit=PANEL_SEARCH_LIMIT)}
        rows = (
            list(session.execute(base.where(col(Recruiter.id).in_(list(score)), *conds)).all())
            if score
            else []
        )
        if sort == "name":
            rows.sort(key=lambda r: (r[0].legal_name.lower(), r[0].id))
        elif sort == "public_id":
            rows.sort(key=lambda r: r[0].public_id)
        elif sort == "newest":
            rows.sort(key=lambda r: -r[0].id)
        elif sort == "oldest":
            rows.sort(key=lambda r: r[0].id)
        else:
            rows.sort(key=lambda r: (-score[r[0].id], r[0].legal_name))
        return paging.ListPage(rows[(page - 1) * per_page : page * per_page], total=len(rows))
    joins = [(Accreditation, Accreditation.recruiter_id == Recruiter.id)] if filters.status else []
    total = paging.count_rows(session, Recruiter, *conds, joins=joins)
    stmt = base.where(*conds)
    if sort == "name" and after is None and before is None:
        # Always true, but it steers SQLite's planner to one table scan with a top-N sort instead of
        # walking an unrelated index and fetching every row by id (10x slower at 100k rows).
        stmt = stmt.where(col(Recruiter.legal_name) >= "")
    found = paging.keyset_page(
        session,
        stmt,
        PANEL_SORTS[sort],
        limit=per_page,
        after=after,
        before=before,
        offset=(page - 1) * per_page,
    )
    found.total = total
    return found


# Columns of a row of the API's list, after the recruiter's id.
LIST_COLUMNS = (
    col(Recruiter.public_id),
    col(Recruiter.legal_name),
    col(Recruiter.other_names),
    col(Recruiter.country),
    col(Recruiter.licence_authority),
    col(Recruiter.licence_number),
    col(Recruiter.licence_status),
    col(Accreditation.status),
    col(Accreditation.valid_until),
)
LIST_SEARCH_LIMIT = 200


def list_page(
    session: Session, filters: RecruiterFilters, *, limit: int, after: int | None = None, offset: int = 0
) -> paging.ListPage:
    """A page of the API's list, rows of (id, *LIST_COLUMNS).

    With a search (`filters.q`): the best matches (at most LIST_SEARCH_LIMIT), best first, from
    `offset`. Otherwise in registration order, after the recruiter id `after`. `more` tells whether
    another page follows."""
    stmt = (
        select(col(Recruiter.id), *LIST_COLUMNS)
        .outerjoin(Accreditation, col(Accreditation.recruiter_id) == col(Recruiter.id))
        .where(*filters.conditions())
    )
    if filters.q:
        ranked = [rec.id for rec, _score in search_recruiters(session, filters.q, limit=LIST_SEARCH_LIMIT)]
        rows = {r[0]: r for r in session.execute(stmt.where(col(Recruiter.id).in_(ranked)))} if ranked else {}
        ordered = [rows[i] for i in ranked if i in rows]
        return paging.ListPage(
            ordered[offset : offset + limit], total=len(ordered), more=offset + limit < len(ordered)
        )
    return paging.keyset_page(
        session, stmt, [(Recruiter.id, True)], limit=limit, after=None if after is None else [after]
    )


def lookup_public_id(session: Session, text: str) -> tuple[int, str] | None:
    """(id, public id) of the recruiter a typed public id names, or None."""
    row = session.execute(
        select(col(Recruiter.id), col(Recruiter.public_id)).where(
            col(Recruiter.public_id) == normalize_public_id(text)
        )
    ).first()
    return None if row is None else (row[0], row[1])


def by_id(session: Session, recruiter_id: int | None) -> Recruiter | None:
    return session.get(Recruiter, recruiter_id) if recruiter_id else None


def parent_of(session: Session, rec: Recruiter) -> Recruiter | None:
    """The recruiter this one is a sub-agent of."""
    return by_id(session, rec.parent_id)


def sub_agents(session: Session, recruiter_id: int, *, limit: int = 50) -> list[Recruiter]:
    return list(
        session.scalars(select(Recruiter).where(col(Recruiter.parent_id) == recruiter_id).limit(limit))
    )
