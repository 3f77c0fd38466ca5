"""Append-only, hash-chained audit log, written in the same transaction as the change it records.

A session event (after_flush) turns every insert, update and delete of a tracked table into one
log entry; the edge names the actor with ``set_actor(session, ...)``. Entries are chained:
``hash = sha256(prev_hash || canonical(seq, at, actor, action, entity, entity_id, data))``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import ColumnElement, event, inspect, select, text
from sqlalchemy.orm import Session as SASession
from sqlmodel import Session, col

from registry.models import (
    Accreditation,
    AccreditationEvent,
    Alert,
    ApiKey,
    Audit,
    AuditLogEntry,
    Company,
    Corridor,
    FeeReport,
    Finding,
    FindingEvent,
    LicenceRecord,
    Recruiter,
    RepaymentEntry,
    ReportEvent,
    SupplierLink,
    User,
    WebhookEndpoint,
    table_of,
)
from registry.services import bulk, identifiers, paging
from registry.timeutil import utcnow

GENESIS = "0" * 64
ADVISORY_LOCK_ID = 0x46524C47  # "FRLG"

# entity name -> (model, fields never written to the log: secrets and personal data)
TRACKED: dict[type, tuple[str, frozenset[str]]] = {
    Recruiter: ("recruiter", frozenset({"search_text", "licence_key"})),
    Corridor: ("corridor", frozenset()),
    Accreditation: ("accreditation", frozenset()),
    AccreditationEvent: ("accreditation_event", frozenset()),
    Audit: ("audit", frozenset()),
    Finding: ("finding", frozenset()),
    FindingEvent: ("finding_event", frozenset()),
    FeeReport: ("fee_report", frozenset({"reporter_key", "free_text", "receipt_file_id", "submission_key"})),
    RepaymentEntry: ("repayment", frozenset()),
    ReportEvent: ("report_event", frozenset()),
    Company: ("company", frozenset()),
    ApiKey: ("api_key", frozenset({"key_hash"})),
    SupplierLink: ("supplier_link", frozenset()),
    WebhookEndpoint: ("webhook_endpoint", frozenset({"secret"})),
    Alert: ("alert", frozenset()),
    User: ("user", frozenset({"password_hash", "failed_logins", "locked_until", "last_login_at"})),
    LicenceRecord: ("licence_record", frozenset({"licence_key"})),
}

# Columns that only record a moment and change on every write; not worth an entry by themselves.
NOISE = frozenset({"updated_at", "last_used_at"})


def protect_sql(dialect: str) -> list[str]:
    """DDL that makes the database itself refuse UPDATE and DELETE on audit_log."""
    if dialect == "postgresql":
        return [
            """CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger AS $$
               BEGIN RAISE EXCEPTION 'audit_log is append-only'; END; $$ LANGUAGE plpgsql""",
            """CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
               FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()""",
        ]
    return [
        """CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
           BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END""",
        """CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
           BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END""",
    ]


def unprotect_sql(dialect: str) -> list[str]:
    if dialect == "postgresql":
        return [
            "DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log",
            "DROP FUNCTION IF EXISTS audit_log_append_only()",
        ]
    return ["DROP TRIGGER IF EXISTS audit_log_no_update", "DROP TRIGGER IF EXISTS audit_log_no_delete"]


def set_actor(session: Session, actor: str) -> None:
    """Name who is making the changes in this unit of work (user email, 'system:<check>', ...)."""
    session.info["actor"] = actor


def jsonable(value):
    """A column value as the log stores it: dates as ISO 8601, decimals as strings."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


# One encoder for every entry (json.dumps with these options would build a new one per call).
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=jsonable)


def canonical(obj) -> str:
    return _CANONICAL.encode(obj)


def entry_hash(
    prev_hash: str, seq: int, at: datetime, actor: str, action: str, entity: str, entity_id: str, data: str
) -> str:
    return _chain_hash(prev_hash, seq, at.isoformat(), actor, action, entity, entity_id, data)


def _chain_hash(
    prev_hash: str, seq: int, at_iso: str, actor: str, action: str, entity: str, entity_id: str, data: str
) -> str:
    body = _CANONICAL.encode([seq, at_iso, actor, action, entity, entity_id, data])
    return hashlib.sha256((prev_hash + body).encode()).hexdigest()


def _identity(obj) -> str:
    ident = inspect(obj).mapper.primary_key_from_instance(obj)
    return ":".join(str(v) for v in ident)


def _recruiter_of(obj) -> int | None:
    if isinstance(obj, Recruiter):
        return obj.id
    return getattr(obj, "recruiter_id", None)


def _snapshot(obj, hidden: frozenset[str]) -> dict:
    mapper = inspect(obj).mapper
    return {c.key: jsonable(getattr(obj, c.key)) for c in mapper.column_attrs if c.key not in hidden}


def _changes(obj, hidden: frozenset[str]) -> dict:
    state = inspect(obj)
    changes = {}
    for attr in state.mapper.column_attrs:
        if attr.key in hidden:
            continue
        hist = state.attrs[attr.key].history
        if hist.has_changes():
            old = hist.deleted[0] if hist.deleted else None
            new = hist.added[0] if hist.added else None
            if old != new:
                changes[attr.key] = [jsonable(old), jsonable(new)]
    return changes


@dataclass
class PendingEntry:
    actor: str
    action: str
    entity: str
    entity_id: str
    recruiter_id: int | None
    data: dict


def _lock_and_tail(conn) -> tuple[int, str]:
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": ADVISORY_LOCK_ID})
    row = conn.execute(
        select(col(AuditLogEntry.seq), col(AuditLogEntry.hash))
        .order_by(col(AuditLogEntry.seq).desc())
        .limit(1)
    ).first()
    return (row[0], row[1]) if row else (0, GENESIS)


def append(conn, entries: Iterable[PendingEntry], at: datetime | None = None, batch: int = 5000) -> int:
    """Append entries to the chain on this connection (inside the caller's transaction).

    The one writer of the chain, for the after_flush hook and for bulk loads alike: it takes the
    chain's tail under a lock, hashes each entry onto it and bulk-inserts the rows
    (``bulk.insert_rows``: one compiled executemany on SQLite)."""
    seq, prev = _lock_and_tail(conn)
    at = at or utcnow()
    at_iso = at.isoformat()
    encode = _CANONICAL.encode
    table = table_of(AuditLogEntry)
    rows = []
    count = 0
    for e in entries:
        seq += 1
        data = encode(e.data)
        h = _chain_hash(prev, seq, at_iso, e.actor, e.action, e.entity, e.entity_id, data)
        rows.append(
            {
                "seq": seq,
                "at": at,
                "actor": e.actor,
                "action": e.action,
                "entity": e.entity,
                "entity_id": e.entity_id,
                "recruiter_id": e.recruiter_id,
                "data": data,
                "prev_hash": prev,
                "hash": h,
            }
        )
        prev = h
        count += 1
        if len(rows) >= batch:
            bulk.insert_rows(conn, table, rows, constant=("at",))
            rows = []
    bulk.insert_rows(conn, table, rows, constant=("at",))
    return count


# --- entries for rows written in bulk (the same data the hook records for ORM writes) ----------------

_ISO_TYPES = frozenset({datetime, date})
# model -> (entity, hidden fields, primary-key columns, column naming the recruiter)
_ROW_SPECS: dict[type, tuple[str, frozenset[str], tuple[str, ...], str]] = {}


def _row_spec(model: type) -> tuple[str, frozenset[str], tuple[str, ...], str]:
    spec = _ROW_SPECS.get(model)
    if spec is None:
        entity, hidden = TRACKED[model]
        keys = tuple(c.name for c in table_of(model).primary_key.columns)
        spec = _ROW_SPECS[model] = (entity, hidden, keys, "id" if model is Recruiter else "recruiter_id")
    return spec


def _snapshot_of_row(hidden: frozenset[str], row: dict) -> dict:
    """What the hook records for a new row (``_snapshot``), from the row as a dict: hidden columns left
    out, dates as ISO 8601, decimals as strings."""
    out = {}
    for k, v in row.items():
        if k in hidden:
            continue
        t = type(v)
        if t in _ISO_TYPES:
            v = v.isoformat()
        elif t is Decimal:
            v = str(v)
        out[k] = v
    return out


def created_entry(actor: str, model: type, row: dict) -> PendingEntry:
    """The entry for inserting `row` (a dict holding every column, ids included) into `model`'s table."""
    entity, hidden, keys, recruiter_column = _row_spec(model)
    identity = str(row[keys[0]]) if len(keys) == 1 else ":".join(str(row[k]) for k in keys)
    return PendingEntry(
        actor, "create", entity, identity, row.get(recruiter_column), _snapshot_of_row(hidden, row)
    )


def updated_entry(actor: str, model: type, before: dict, after: dict) -> PendingEntry:
    """The entry for changing a `model` row from `before` to `after` (dicts of its columns)."""
    entity, hidden, keys, recruiter_column = _row_spec(model)
    changes = {
        k: [jsonable(before.get(k)), jsonable(v)]
        for k, v in after.items()
        if k not in hidden and before.get(k) != v
    }
    identity = str(after[keys[0]]) if len(keys) == 1 else ":".join(str(after[k]) for k in keys)
    return PendingEntry(actor, "update", entity, identity, after.get(recruiter_column), changes)


def _after_flush(session: SASession, _flush_context) -> None:
    if session.info.get("auditlog_disabled"):
        return
    actor = session.info.get("actor", "system")
    pending: list[PendingEntry] = []
    for action, objs in (("create", session.new), ("update", session.dirty), ("delete", session.deleted)):
        for obj in objs:
            spec = TRACKED.get(type(obj))
            if spec is None:
                continue
            entity, hidden = spec
            if action == "update":
                data = _changes(obj, hidden)
                if not data or set(data) <= NOISE:
                    continue
            else:
                data = _snapshot(obj, hidden)
            pending.append(PendingEntry(actor, action, entity, _identity(obj), _recruiter_of(obj), data))
    if pending:
        pending.sort(key=lambda e: (e.entity, e.entity_id, e.action))
        append(session.connection(), pending)


event.listen(SASession, "after_flush", _after_flush)


# --- verification -----------------------------------------------------------------------------


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    first_bad_seq: int | None = None
    first_bad_id: int | None = None
    problem: str = ""

    def __str__(self) -> str:
        if self.ok:
            return f"audit log intact: {self.checked} entries verified"
        return (
            f"audit log BROKEN at entry seq={self.first_bad_seq} (id={self.first_bad_id}): "
            f"{self.problem}; {self.checked} entries before it are intact"
        )


def iter_entries(session: Session, chunk: int = 10_000) -> Iterator[AuditLogEntry]:
    last = None
    while True:
        stmt = select(AuditLogEntry).order_by(col(AuditLogEntry.seq)).limit(chunk)
        if last is not None:
            stmt = stmt.where(col(AuditLogEntry.seq) > last)
        rows = list(session.scalars(stmt))
        if not rows:
            return
        yield from rows
        last = rows[-1].seq
        session.expunge_all()


def verify(session: Session) -> VerifyResult:
    """Walk the chain in sequence order; report the first entry that was altered, deleted or moved."""
    prev = GENESIS
    expected_seq = 1
    checked = 0
    for e in iter_entries(session):
        if e.seq != expected_seq:
            return VerifyResult(
                False, checked, e.seq, e.id, f"expected seq {expected_seq}: an entry was deleted or reordered"
            )
        if e.prev_hash != prev:
            return VerifyResult(
                False,
                checked,
                e.seq,
                e.id,
                "prev_hash does not match the previous entry (entry deleted or reordered)",
            )
        if entry_hash(prev, e.seq, e.at, e.actor, e.action, e.entity, e.entity_id, e.data) != e.hash:
            return VerifyResult(
                False, checked, e.seq, e.id, "content does not match its hash (entry altered)"
            )
        prev = e.hash
        expected_seq += 1
        checked += 1
    return VerifyResult(True, checked)


def entries_for_recruiter(session: Session, recruiter_id: int, limit: int = 200) -> list[AuditLogEntry]:
    stmt = (
        select(AuditLogEntry)
        .where(col(AuditLogEntry.recruiter_id) == recruiter_id)
        .order_by(col(AuditLogEntry.seq).desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))


def status_at(session: Session, recruiter_id: int, at: datetime) -> dict | None:
    """The accreditation state of a recruiter at time `at`, replayed from the audit log.

    Returns {"status", "valid_from", "valid_until", "since"} or None when the recruiter was not
    in the registry then.
    """
    stmt = (
        select(AuditLogEntry)
        .where(
            col(AuditLogEntry.entity) == "accreditation",
            col(AuditLogEntry.entity_id) == str(recruiter_id),
            col(AuditLogEntry.at) <= at,
        )
        .order_by(col(AuditLogEntry.seq))
    )
    state: dict | None = None
    for e in session.scalars(stmt):
        data = json.loads(e.data)
        if e.action == "create":
            state = {k: data.get(k) for k in ("status", "valid_from", "valid_until")}
            state["since"] = e.at.isoformat()
        elif e.action == "update" and state is not None:
            for k in ("status", "valid_from", "valid_until"):
                if k in data:
                    state[k] = data[k][1]
            if "status" in data:
                state["since"] = e.at.isoformat()
        elif e.action == "delete":
            state = None
    return state


# --- the admin panel's list -----------------------------------------------------------------------


@dataclass(frozen=True)
class LogFilters:
    """What the audit log can be narrowed by; empty means any. `actor` is text found in the actor's
    name; `recruiter` a public id (an unknown one matches nothing)."""

    entity: str = ""
    action: str = ""
    actor: str = ""
    recruiter: str = ""
    date_from: date | None = None
    date_to: date | None = None


def list_page(session: Session, filters: LogFilters, *, page: int, per_page: int) -> paging.ListPage:
    """Entries, newest first (rows of AuditLogEntry, public id); ``extra["recruiter"]`` is the
    recruiter `filters.recruiter` names, if any."""
    conds: list[ColumnElement[bool]] = []
    if filters.entity:
        conds.append(col(AuditLogEntry.entity) == filters.entity)
    if filters.action in ("create", "update", "delete"):
        conds.append(col(AuditLogEntry.action) == filters.action)
    if filters.actor:
        conds.append(paging.contains(col(AuditLogEntry.actor), filters.actor))
    recruiter = None
    if filters.recruiter:
        pid = identifiers.public_id_key(filters.recruiter)
        recruiter = (
            session.scalars(select(Recruiter).where(col(Recruiter.public_id) == pid)).first() if pid else None
        )
        if recruiter is not None:
            conds.append(col(AuditLogEntry.recruiter_id) == recruiter.id)
        else:  # unknown public id: show nothing rather than everything
            conds.append(col(AuditLogEntry.id) == -1)
    if filters.date_from:
        conds.append(col(AuditLogEntry.at) >= datetime.combine(filters.date_from, time.min, UTC))
    if filters.date_to:
        conds.append(
            col(AuditLogEntry.at) < datetime.combine(filters.date_to + timedelta(days=1), time.min, UTC)
        )
    stmt = (
        select(AuditLogEntry, col(Recruiter.public_id))
        .outerjoin(Recruiter, col(Recruiter.id) == col(AuditLogEntry.recruiter_id))
        .where(*conds)
        .order_by(col(AuditLogEntry.seq).desc())
    )
    total = paging.count_rows(session, AuditLogEntry, *conds)
    found = paging.offset_page(session, stmt, page=page, per_page=per_page, total=total)
    found.extra["recruiter"] = recruiter
    return found
