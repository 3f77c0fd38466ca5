"""Append-only, hash-chained audit log, written in the same transaction as the change it records.

A session event (after_flush) turns every insert, update and delete of a tracked table into one
log entry; the edge names the actor with ``set_actor(session, ...)``. Entries are chained:
``hash = sha256(prev_hash || canonical(seq, at, actor, action, entity, entity_id, data))``.

There is one chain per recruiter (every entry about recruiter 7 is in chain 7), one for entries about
no recruiter (chain 0, which also holds the whole log as it was before chains were per recruiter),
and the anchor chain (-1). A writer locks only the heads (``audit_chain`` rows) of the chains it
appends to, so writes about different recruiters do not wait for each other. ``anchor`` (a beat job)
appends the heads of every chain that moved since the last anchor to the anchor chain; ``verify``
checks every chain, every head and every anchored head. See docs/audit-log.md for the trade-off.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, event, inspect, select, text, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session as SASession
from sqlmodel import Session, col

from registry.models import (
    Accreditation,
    AccreditationEvent,
    Alert,
    ApiKey,
    Audit,
    AuditChain,
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
from registry.services import bulk
from registry.services.sets import in_values, value_batches
from registry.timeutil import utcnow

GENESIS = "0" * 64
NO_RECRUITER_CHAIN = 0
ANCHOR_CHAIN = -1

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
    t = type(value)
    if t is str or t is int or value is None:  # most values, at the cost of a type check (bulk moves)
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


# One encoder for every entry (json.dumps with these options would build a new one per call).
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=jsonable)


def _one_shot_encoder(encoder: json.JSONEncoder) -> Callable[[Any], str]:
    """``encoder.encode``, with the C encoder it makes for each call made once (CPython's json makes a new
    one per ``encode``: a tenth of a compliance check's CPU, for two encodings per log entry). The same
    text: ``tests/unit/test_auditlog.py`` compares the two."""
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None or encoder.indent is not None:  # pragma: no cover - CPython has it
        return encoder.encode
    one_shot = make(
        None,  # no check for cycles: log data is plain values, lists and dicts made here
        encoder.default,
        json.encoder.encode_basestring_ascii if encoder.ensure_ascii else json.encoder.encode_basestring,
        None,
        encoder.key_separator,
        encoder.item_separator,
        encoder.sort_keys,
        encoder.skipkeys,
        encoder.allow_nan,
    )

    def encode(obj: Any) -> str:
        return "".join(one_shot(obj, 0))

    return encode


_encode = _one_shot_encoder(_CANONICAL)


def canonical(obj) -> str:
    return _encode(obj)


def entry_hash(
    prev_hash: str, seq: int, at: datetime, actor: str, action: str, entity: str, entity_id: str, data: str
) -> str:
    return _chain_hash(prev_hash, seq, at.isoformat(), actor, action, entity, entity_id, data)


def _chain_hash(
    prev_hash: str, seq: int, at_iso: str, actor: str, action: str, entity: str, entity_id: str, data: str
) -> str:
    body = _encode([seq, at_iso, actor, action, entity, entity_id, data])
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
    chain: int | None = None  # None: the recruiter's chain (chain 0 without a recruiter)


def chain_of_recruiter(recruiter_id: int | None) -> int:
    """The chain of the entries about this recruiter (None: about no recruiter)."""
    return recruiter_id if recruiter_id is not None else NO_RECRUITER_CHAIN


def head_lock_join(chain_param: str) -> str:
    """PostgreSQL: the end of a write's own statement that also locks the head of one chain (the chain
    in the parameter `chain_param`; only when the parameter ``lock`` is true), after the rows the
    statement writes, as ``append`` would lock it: ``LEFT JOIN LATERAL (...) h ON true``, its seq and
    hash as ``h.seq`` and ``h.hash`` (NULL when the chain has no head yet). The head goes to ``append``
    as `locked` (``locked_head``)."""
    if not chain_param.isidentifier():
        raise ValueError(f"not a parameter name: {chain_param!r}")
    # Only the name of a parameter goes into the text; the chain is a value.
    chain = f"%({chain_param})s"
    return f"LEFT JOIN LATERAL (SELECT seq, hash FROM audit_chain WHERE chain = {chain} AND %(lock)s FOR UPDATE) h ON true"  # nosec B608


def locked_head(chain: int, seq: int | None, head_hash: str | None) -> dict[int, tuple[int, str]]:
    """``append``'s `locked` for a head read by ``head_lock_join`` (empty when there was none)."""
    return {} if seq is None or head_hash is None else {chain: (seq, head_hash)}


def chain_of(entry: PendingEntry) -> int:
    if entry.chain is not None:
        return entry.chain
    return entry.recruiter_id if entry.recruiter_id is not None else NO_RECRUITER_CHAIN


@lru_cache(maxsize=4)
def _lock_heads_stmt(dialect: str):
    """SELECT ... FOR UPDATE of chain heads, in chain order (the chains a parameter): built once."""
    heads_t = table_of(AuditChain)
    return (
        select(heads_t.c.chain, heads_t.c.seq, heads_t.c.hash)
        .where(in_values(heads_t.c.chain, "chains", dialect))
        .order_by(heads_t.c.chain)
        .with_for_update()
    )


def _lock_heads(conn, chains: list[int]) -> dict[int, tuple[int, str]]:
    """Lock the heads of `chains` (ascending, so two writers never wait for each other in a circle
    within one append) and return them as {chain: (seq, hash)}; a new chain gets its head row first."""
    heads_t = table_of(AuditChain)
    dialect = conn.dialect.name
    stmt = _lock_heads_stmt(dialect)

    def locked(ids: list[int]) -> dict[int, tuple[int, str]]:
        out: dict[int, tuple[int, str]] = {}
        for batch in value_batches(dialect, ids):  # one on PostgreSQL and SQLite, ascending chunks elsewhere
            out.update({c: (seq, h) for c, seq, h in conn.execute(stmt, {"chains": batch}).all()})
        return out

    heads = locked(chains)
    missing = [c for c in chains if c not in heads]
    if missing and conn.dialect.name == "postgresql":
        conn.execute(
            text(
                "INSERT INTO audit_chain (chain, seq, hash, anchored_seq) SELECT c, 0, :g, 0 "
                "FROM unnest(CAST(:chains AS integer[])) AS c ON CONFLICT (chain) DO NOTHING"
            ),
            {"g": GENESIS, "chains": bulk.int_array_text(missing)},
        )
    elif missing:
        conn.execute(
            sqlite_insert(heads_t).on_conflict_do_nothing(index_elements=["chain"]),
            [{"chain": c, "seq": 0, "hash": GENESIS, "anchored_seq": 0} for c in missing],
        )
    if missing:
        heads.update(locked(missing))
    return heads


_MOVE_HEAD = None


def _move_head_stmt():
    global _MOVE_HEAD
    if _MOVE_HEAD is None:
        heads_t = table_of(AuditChain)
        _MOVE_HEAD = (
            update(heads_t)
            .where(heads_t.c.chain == bindparam("c"))
            .values(seq=bindparam("s"), hash=bindparam("h"))
        )
    return _MOVE_HEAD


_MOVE_HEADS_PG = (
    "UPDATE audit_chain SET seq = v.s, hash = v.h FROM unnest(CAST(%s AS integer[]), CAST(%s AS integer[]), "
    "CAST(%s AS text[])) AS v(c, s, h) WHERE audit_chain.chain = v.c"
)


def append(
    conn,
    entries: Iterable[PendingEntry],
    at: datetime | None = None,
    batch: int = 5000,
    *,
    locked: dict[int, tuple[int, str]] | None = None,
) -> int:
    """Append entries to their chains on this connection (inside the caller's transaction).

    The one writer of the log, for the after_flush hook and for bulk loads alike: it locks the heads
    of the chains the entries belong to, hashes each entry onto its chain, bulk-inserts the rows
    (``bulk.insert_rows``: one compiled executemany on SQLite) and moves the heads. `locked`: heads the
    caller has locked already in this transaction, read with their lock ({chain: (seq, hash)}), for
    chains it alone appends to meanwhile (a write that locks its head in one of its own statements)."""
    entries = list(entries)
    if not entries:
        return 0
    chains = [chain_of(e) for e in entries]
    locked = locked or {}
    heads = dict(locked)
    unlocked = sorted({c for c in chains if c not in locked})
    if unlocked:
        heads.update(_lock_heads(conn, unlocked))
    at = at or utcnow()
    at_iso = at.isoformat()
    encode = _encode
    table = table_of(AuditLogEntry)
    rows = []
    for e, chain in zip(entries, chains, strict=True):
        seq, prev = heads[chain]
        seq += 1
        data = encode(e.data)
        h = _chain_hash(prev, seq, at_iso, e.actor, e.action, e.entity, e.entity_id, data)
        rows.append(
            {
                "chain": chain,
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
        heads[chain] = (seq, h)
        if len(rows) >= batch:
            bulk.insert_rows(conn, table, rows, constant=("at",))
            rows = []
    if conn.dialect.name == "postgresql":
        # arrays in their text form (bulk.int_array_text); hashes are hex digits
        moved = [
            bulk.int_array_text(heads),
            bulk.int_array_text(seq for seq, _h in heads.values()),
            "{" + ",".join(h for _s, h in heads.values()) + "}",
        ]
        # The last rows and the heads' move in one statement when the rows are few (a single write).
        if not bulk.insert_few_then(conn, table, rows, _MOVE_HEADS_PG, moved):
            bulk.insert_rows(conn, table, rows, constant=("at",))
            conn.exec_driver_sql(_MOVE_HEADS_PG, tuple(moved))
    else:
        bulk.insert_rows(conn, table, rows, constant=("at",))
        conn.execute(_move_head_stmt(), [{"c": c, "s": seq, "h": h} for c, (seq, h) in heads.items()])
    return len(entries)


def anchor(session: Session, *, actor: str = "system:audit-anchor", per_entry: int = 2000) -> int:
    """Pin the head of every chain that moved since the last anchor: append them (chain, seq, hash) to
    the anchor chain and mark them anchored. Returns the number of chains pinned. A head being written
    right now (its row locked) is left for the next anchor instead of waiting for it."""
    heads_t = table_of(AuditChain)
    conn = session.connection()
    stmt = (
        select(heads_t.c.chain, heads_t.c.seq, heads_t.c.hash)
        .where(heads_t.c.seq > heads_t.c.anchored_seq, heads_t.c.chain != ANCHOR_CHAIN)
        .order_by(heads_t.c.chain)
    )
    if conn.dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    pinned = [list(r) for r in conn.execute(stmt)]
    if not pinned:
        return 0
    append(
        conn,
        (
            PendingEntry(
                actor,
                "anchor",
                "audit_log",
                "heads",
                None,
                {"heads": pinned[i : i + per_entry]},
                ANCHOR_CHAIN,
            )
            for i in range(0, len(pinned), per_entry)
        ),
    )
    conn.execute(
        update(heads_t).where(heads_t.c.chain == bindparam("c")).values(anchored_seq=bindparam("s")),
        [{"c": c, "s": seq} for c, seq, _h in pinned],
    )
    return len(pinned)


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


@dataclass(frozen=True)
class StatusChange:
    """An accreditation's new status and moment, as ``moved_entry`` logs it (the moment's log form made
    once for every recruiter moved)."""

    status: str
    at: datetime
    at_logged: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "at_logged", jsonable(self.at))


def moved_entry(
    actor: str,
    recruiter_id: int,
    status: str,
    since: datetime | None,
    updated_at: datetime | None,
    to: StatusChange,
) -> PendingEntry:
    """``updated_entry`` for an Accreditation whose status, since and updated_at change to `to` (the bulk
    moves of the checks): the same entry, built without comparing every column."""
    at, logged = to.at, to.at_logged
    changes = {}
    if since != at:
        changes["since"] = [jsonable(since), logged]
    if status != to.status:
        changes["status"] = [status, to.status]
    if updated_at != at:
        changes["updated_at"] = [jsonable(updated_at), logged]
    return PendingEntry(actor, "update", "accreditation", str(recruiter_id), recruiter_id, changes)


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


def entries_for_recruiter(session: Session, recruiter_id: int, limit: int = 200) -> list[AuditLogEntry]:
    stmt = (
        select(AuditLogEntry)
        .where(col(AuditLogEntry.recruiter_id) == recruiter_id)
        .order_by(col(AuditLogEntry.id).desc())
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
        .order_by(col(AuditLogEntry.id))
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
