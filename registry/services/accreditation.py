"""The accreditation state machine (SPEC section 3), the only way an accreditation changes.

    applicant  -> accredited | rejected
    accredited -> suspended | expired | withdrawn
    suspended  -> accredited | withdrawn
    expired    -> applicant   (re-application)

Every move stores who, when, why and the evidence (audit, report) in AccreditationEvent; the audit
log records the same change in the same transaction; status changes are queued for webhooks and
followers through the outbox.
"""

from __future__ import annotations

import dataclasses
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from types import SimpleNamespace
from typing import cast

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col

from registry.errors import IllegalTransition, InvalidInput, NotFound
from registry.models import Accreditation, AccreditationEvent, Audit, Finding, Recruiter, table_of
from registry.models.accreditation import AccreditationStatus as S
from registry.services import auditlog, bulk, cleantext, outbox, standing
from registry.timeutil import add_years, iso, utcnow

TRANSITIONS: dict[str, frozenset[str]] = {
    S.applicant: frozenset({S.accredited, S.rejected}),
    S.accredited: frozenset({S.suspended, S.expired, S.withdrawn}),
    S.suspended: frozenset({S.accredited, S.withdrawn}),
    S.expired: frozenset({S.applicant}),
    S.rejected: frozenset(),
    S.withdrawn: frozenset(),
}

# Named decisions as the admin panel, API and workers speak of them: name -> (from states, to state)
DECISIONS: dict[str, tuple[frozenset[str], str]] = {
    "accredit": (frozenset({S.applicant}), S.accredited),
    "reject": (frozenset({S.applicant}), S.rejected),
    "suspend": (frozenset({S.accredited}), S.suspended),
    "reinstate": (frozenset({S.suspended}), S.accredited),
    "withdraw": (frozenset({S.accredited, S.suspended}), S.withdrawn),
    "expire": (frozenset({S.accredited}), S.expired),
    "reapply": (frozenset({S.expired}), S.applicant),
}


def is_allowed(from_status: str, to_status: str) -> bool:
    return to_status in TRANSITIONS.get(from_status, frozenset())


def allowed_decisions(status: str) -> list[str]:
    return [name for name, (froms, _to) in DECISIONS.items() if status in froms]


def replay(events: list[tuple[str | None, str]]) -> str | None:
    """The state reached by a recorded history of (from, to) moves; raises if the history is illegal."""
    state: str | None = None
    for frm, to in events:
        if frm != state:
            raise IllegalTransition(
                f"history broken: move from {frm} recorded while in {state}",
                code="history_broken",
                params={"from": frm, "state": state},
            )
        if state is not None and not is_allowed(state, to):
            raise IllegalTransition(
                f"history contains illegal move {state} -> {to}",
                code="history_broken",
                params={"from": state, "to": to},
            )
        state = to
    return state


@lru_cache(maxsize=2)
def _get_stmt(lock: bool):
    stmt = select(Accreditation).where(col(Accreditation.recruiter_id) == bindparam("rid"))
    if lock:
        # the row as it is now that it is locked, even if this session read it before (another writer
        # may have moved it meanwhile)
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return stmt


def get(session: Session, recruiter_id: int, *, lock: bool = False) -> Accreditation:
    acc = session.scalars(_get_stmt(lock), {"rid": recruiter_id}).first()
    if acc is None:
        raise NotFound(
            f"recruiter {recruiter_id} has no accreditation record",
            code="accreditation_not_found",
            params={"recruiter_id": recruiter_id},
        )
    return acc


@lru_cache(maxsize=1)
def _open_majors_stmt():
    return (
        select(func.count())
        .select_from(Finding)
        .where(
            col(Finding.recruiter_id) == bindparam("rid"),
            col(Finding.severity) == "major",
            col(Finding.closed_at).is_(None),
        )
    )


def open_major_findings(session: Session, recruiter_id: int) -> int:
    return session.scalar(_open_majors_stmt(), {"rid": recruiter_id}) or 0


def latest_performed_audit(session: Session, recruiter_id: int) -> Audit | None:
    return session.scalars(
        select(Audit)
        .where(col(Audit.recruiter_id) == recruiter_id, col(Audit.performed_date).is_not(None))
        .order_by(col(Audit.performed_date).desc(), col(Audit.id).desc())
        .limit(1)
    ).first()


@dataclass
class Decision:
    recruiter: Recruiter
    event: AccreditationEvent
    accreditation: Accreditation


@lru_cache(maxsize=16)
def _update_stmt(columns: tuple[str, ...]):
    """UPDATE of these columns of one accreditation (``b_recruiter_id``), built once per set of columns:
    the values are parameters, not part of the statement."""
    acc_t = table_of(Accreditation)
    return (
        update(acc_t)
        .where(acc_t.c.recruiter_id == bindparam("b_recruiter_id"))
        .values({c: bindparam(c) for c in columns})
    )


@lru_cache(maxsize=1)
def _insert_event_stmt():
    ev_t = table_of(AccreditationEvent)
    return insert(ev_t).returning(ev_t.c.id)


@lru_cache(maxsize=16)
def _move_pg_sql(columns: tuple[str, ...]) -> str:
    """PostgreSQL: UPDATE of these columns of one accreditation, INSERT of its event and the lock of its
    chain's head (when ``lock``), in one statement; answers (event id, head's seq, head's hash)."""
    ev_columns = [c.name for c in table_of(AccreditationEvent).columns if c.name != "id"]
    sets = ", ".join(f"{c} = %(a_{c})s" for c in columns)
    names, values = ", ".join(ev_columns), ", ".join(f"%(e_{c})s" for c in ev_columns)
    # Identifiers are the tables' own column names; every value is a parameter.
    return (
        f"WITH u AS (UPDATE accreditation SET {sets} WHERE recruiter_id = %(rid)s RETURNING recruiter_id), "  # nosec B608
        f"e AS (INSERT INTO accreditation_event ({names}) SELECT {values} FROM u RETURNING id) "
        "SELECT e.id, h.seq, h.hash FROM e " + auditlog.head_lock_join("rid")
    )


def _write_move(session: Session, acc: Accreditation, values: dict, ev: AccreditationEvent) -> None:
    """Write a move with Core statements: the accreditation's changed columns (``values``), its event
    (`ev`, which gets its id) and their audit-log entries, the ones the flush hook writes for them.
    `acc` (read with its row locked in this transaction) and `ev` are then persistent and unchanged in the
    session, as after a flush: the hot write of every decision, without the unit of work's flush and
    the hook's inspection of every column."""
    conn = session.connection()
    acc_t, ev_t = table_of(Accreditation), table_of(AccreditationEvent)
    before = {c.name: getattr(acc, c.name) for c in acc_t.columns}
    ev_row = {c.name: getattr(ev, c.name) for c in ev_t.columns if c.name != "id"}
    logged = not session.info.get("auditlog_disabled")
    locked: dict[int, tuple[int, str]] = {}
    if conn.dialect.name == "postgresql":
        # The move, its event and the lock of the chain's head in one statement (the accreditation's row
        # is locked already: the head after it, in the order every write locks them).
        params = {f"a_{k}": v for k, v in values.items()}
        params.update({f"e_{k}": v for k, v in ev_row.items()})
        params.update(rid=acc.recruiter_id, lock=logged)
        found = conn.exec_driver_sql(_move_pg_sql(tuple(values)), params).first()
        if found is None:  # pragma: no cover - the row is locked by this transaction
            raise NotFound(f"recruiter {acc.recruiter_id} has no accreditation record")
        ev.id, seq, head_hash = found
        locked = auditlog.locked_head(auditlog.chain_of_recruiter(acc.recruiter_id), seq, head_hash)
    else:
        conn.execute(_update_stmt(tuple(values)), {"b_recruiter_id": acc.recruiter_id, **values})
        ev.id = conn.execute(_insert_event_stmt(), ev_row).scalar_one()
    for key, value in values.items():
        set_committed_value(acc, key, value)
    make_transient_to_detached(ev)
    session.add(ev)
    if logged:
        actor = session.info.get("actor", "system")
        auditlog.append(
            conn,
            [
                auditlog.updated_entry(actor, Accreditation, before, {**before, **values}),
                auditlog.created_entry(actor, AccreditationEvent, {"id": ev.id, **ev_row}),
            ],
            locked=locked,
        )


def transition(
    session: Session,
    recruiter: Recruiter,
    to_status: str,
    *,
    actor: str,
    reason: str,
    audit_id: int | None = None,
    report_id: int | None = None,
    at: datetime | None = None,
    valid_from: date | None = None,
    cycle_years: int = 3,
    locked: Accreditation | None = None,
) -> Decision:
    """Move a recruiter's accreditation to `to_status`, or raise and change nothing. `locked`: the
    recruiter's accreditation, already read with its row locked in this transaction (by ``decide``)."""
    reason = cleantext.clean_text(reason)
    if not reason:
        raise InvalidInput(
            "a reason is required for every accreditation decision", field="reason", code="reason_required"
        )
    if not actor:
        raise InvalidInput("the decision must be attributed to someone", field="actor", code="actor_required")
    if to_status not in TRANSITIONS:
        raise InvalidInput(
            f"unknown accreditation status {to_status!r}",
            field="status",
            code="unknown_status",
            params={"status": to_status},
        )
    if recruiter.id is None:
        raise RuntimeError("recruiter.id is not None")
    acc = (
        locked
        if locked is not None and locked.recruiter_id == recruiter.id
        else get(session, recruiter.id, lock=True)
    )
    frm = acc.status
    if not is_allowed(frm, to_status):
        allowed = ", ".join(sorted(TRANSITIONS[frm])) or "none (final state)"
        raise IllegalTransition(
            f"{recruiter.public_id} is {frm}; it cannot become {to_status} (allowed from {frm}: {allowed})",
            params={"public_id": recruiter.public_id, "from": frm, "to": to_status},
        )
    at = at or utcnow()
    values: dict = {}  # the accreditation's columns that change
    if to_status == S.accredited:
        majors = open_major_findings(session, recruiter.id)
        if majors:
            raise IllegalTransition(
                f"{recruiter.public_id} cannot be accredited: {majors} major finding(s) still open; "
                "close their corrective actions first",
                code="open_major_findings",
                params={"public_id": recruiter.public_id, "count": majors},
            )
        if frm == S.applicant:
            audit = (
                session.get(Audit, audit_id) if audit_id else latest_performed_audit(session, recruiter.id)
            )
            if audit is None or audit.performed_date is None or audit.recruiter_id != recruiter.id:
                raise IllegalTransition(
                    f"{recruiter.public_id} cannot be accredited without a performed audit; "
                    "record the audit's outcome first",
                    code="no_performed_audit",
                    params={"public_id": recruiter.public_id},
                )
            audit_id = audit.id
            vf = valid_from or at.date()
            values["valid_from"] = vf
            values["valid_until"] = add_years(vf, cycle_years)
            values["certificate_number"] = (
                f"FRC-{vf.year}-{recruiter.public_id[3:]}-{secrets.token_hex(2).upper()}"
            )
    if to_status in (S.rejected, S.withdrawn, S.applicant):
        values.update(valid_from=None, valid_until=None, certificate_number=None)
    values.update(status=to_status, since=at, updated_at=at)
    ev = AccreditationEvent(
        recruiter_id=recruiter.id,
        from_status=frm,
        to_status=to_status,
        at=at,
        actor=actor,
        reason=reason,
        audit_id=audit_id,
        report_id=report_id,
        valid_from=values.get("valid_from", acc.valid_from),
        valid_until=values.get("valid_until", acc.valid_until),
    )
    _write_move(session, acc, values, ev)
    # The event carries the recruiter's standing after the move (status, valid_until, licence status),
    # as every surface shows it: validity applied as of the moment of the move.
    verdict = standing.verdict_of(acc, recruiter.licence_status, as_of=at.date())
    outbox.emit(
        session,
        outbox.STATUS_CHANGED,
        recruiter,
        {"from": frm, "to": to_status, "reason": reason, "at": iso(at), **standing.event_fields(verdict)},
    )
    return Decision(recruiter, ev, acc)


def decide(session: Session, recruiter: Recruiter, decision: str, **kwargs) -> Decision:
    """Apply a named decision (accredit, reject, suspend, reinstate, withdraw, expire, reapply)."""
    if decision not in DECISIONS:
        raise InvalidInput(
            f"unknown decision {decision!r}; one of: {', '.join(DECISIONS)}",
            field="decision",
            code="unknown_decision",
            params={"decision": decision},
        )
    froms, to = DECISIONS[decision]
    if recruiter.id is None:
        raise RuntimeError("recruiter.id is not None")
    acc = get(session, recruiter.id, lock=True)  # locked here already: the move reads it once
    if acc.status not in froms:
        raise IllegalTransition(
            f"cannot {decision} {recruiter.public_id}: it is {acc.status} "
            f"(possible now: {', '.join(allowed_decisions(acc.status)) or 'nothing, final state'})",
            params={"public_id": recruiter.public_id, "decision": decision, "status": acc.status},
        )
    return transition(session, recruiter, to, locked=acc, **kwargs)


def history(session: Session, recruiter_id: int) -> list[AccreditationEvent]:
    return list(
        session.scalars(
            select(AccreditationEvent)
            .where(col(AccreditationEvent.recruiter_id) == recruiter_id)
            .order_by(col(AccreditationEvent.at), col(AccreditationEvent.id))
        )
    )


# --- many moves at once (the compliance checks) ---------------------------------------------------

# Moves that keep the certificate and its validity: the ones the checks make, set-based.
BULK_MOVES = frozenset({(S.accredited, S.expired), (S.accredited, S.suspended)})
_CHUNK = 900  # recruiter ids per query: below SQLite's bound-parameter limit


@dataclass
class Move:
    recruiter_id: int
    reason: str
    audit_id: int | None = None
    report_id: int | None = None


def transition_many(
    session: Session,
    moves: list[Move],
    from_status: str,
    to_status: str,
    *,
    actor: str,
    at: datetime | None = None,
) -> list[tuple[int, str]]:
    """`transition` for many recruiters with a fixed number of statements per 900 of them: the same
    rows (state, event, audit-log entries, outbox messages). Only moves in BULK_MOVES; a recruiter that
    is no longer in `from_status` (changed meanwhile) is left alone. Returns (id, public id) of each
    recruiter moved. Written with Core statements: no Accreditation of these recruiters may be loaded
    in the session."""
    if (from_status, to_status) not in BULK_MOVES:
        raise InvalidInput(
            f"{from_status} -> {to_status} is not a move made in bulk",
            field="status",
            code="not_a_bulk_move",
            params={"from": from_status, "to": to_status},
        )
    if not actor:
        raise InvalidInput("the decision must be attributed to someone", field="actor", code="actor_required")
    cleaned = {reason: cleantext.clean_text(reason) for reason in {m.reason for m in moves}}  # few distinct
    moves = [
        m if cleaned[m.reason] == m.reason else dataclasses.replace(m, reason=cleaned[m.reason])
        for m in moves
    ]
    if any(not m.reason for m in moves):
        raise InvalidInput(
            "a reason is required for every accreditation decision", field="reason", code="reason_required"
        )
    at = at or utcnow()
    acc_t, ev_t, rec_t = table_of(Accreditation), table_of(AccreditationEvent), table_of(Recruiter)
    by_id = {m.recruiter_id: m for m in moves}
    ids = sorted(by_id)
    moved: list[tuple[int, str]] = []
    conn = session.connection()
    dialect = conn.dialect.name
    at_iso, as_of = iso(at), at.date()
    moved_to = auditlog.StatusChange(to_status, at)
    for i in range(0, len(ids), _CHUNK):
        chunk = ids[i : i + _CHUNK]
        before = conn.execute(
            select(acc_t, rec_t.c.public_id, rec_t.c.licence_status)
            .join(rec_t, rec_t.c.id == acc_t.c.recruiter_id)
            .where(bulk.among(acc_t.c.recruiter_id, chunk, dialect), acc_t.c.status == from_status)
            .order_by(acc_t.c.recruiter_id)
            .with_for_update(of=acc_t)
        ).all()
        if not before:
            continue
        rids = [r.recruiter_id for r in before]
        conn.execute(
            update(acc_t)
            .where(bulk.among(acc_t.c.recruiter_id, rids, dialect))
            .values(status=to_status, since=at, updated_at=at)
        )
        events = [
            {
                "recruiter_id": r.recruiter_id,
                "from_status": from_status,
                "to_status": to_status,
                "at": at,
                "actor": actor,
                "reason": by_id[r.recruiter_id].reason,
                "audit_id": by_id[r.recruiter_id].audit_id,
                "report_id": by_id[r.recruiter_id].report_id,
                "valid_from": r.valid_from,
                "valid_until": r.valid_until,
            }
            for r in before
        ]
        event_ids = bulk.insert_returning_ids(conn, ev_t, events)
        entries = []
        for r, ev, ev_id in zip(before, events, event_ids, strict=True):
            entries.append(
                auditlog.moved_entry(actor, r.recruiter_id, r.status, r.since, r.updated_at, moved_to)
            )
            entries.append(auditlog.created_entry(actor, AccreditationEvent, {"id": ev_id, **ev}))
        items = []
        for r, ev in zip(before, events, strict=True):
            # the row after the move, as verdict_of reads it (no model instance built per move)
            after = cast(
                Accreditation,
                SimpleNamespace(
                    status=to_status,
                    since=at,
                    valid_from=r.valid_from,
                    valid_until=r.valid_until,
                    certificate_number=r.certificate_number,
                ),
            )
            verdict = standing.verdict_of(after, r.licence_status, as_of=as_of)
            items.append(
                (
                    r.recruiter_id,
                    {
                        "from": from_status,
                        "to": to_status,
                        "reason": ev["reason"],
                        "at": at_iso,
                        **standing.event_fields(verdict),
                    },
                )
            )
        outbox.emit_many(session, outbox.STATUS_CHANGED, items)
        # last, so the chain heads are locked only from here to the commit
        auditlog.append(conn, entries, at=at)
        moved.extend((r.recruiter_id, r.public_id) for r in before)
    return moved
