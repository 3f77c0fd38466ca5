"""A decision is written with Core statements (accreditation._write_move): the same rows and the same
audit-log entries as the flush hook writes, and the session's objects are as after a flush."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import event, inspect, select
from sqlmodel import Session

from registry.db import session_scope
from registry.errors import IllegalTransition
from registry.models import Accreditation, AccreditationEvent, AuditLogEntry, Recruiter
from registry.services import accreditation, auditlog, auditlog_verify
from tests import factories


def _entries(session, recruiter_id: int, after_id: int) -> list[AuditLogEntry]:
    return list(
        session.scalars(
            select(AuditLogEntry)
            .where(AuditLogEntry.recruiter_id == recruiter_id, AuditLogEntry.id > after_id)
            .order_by(AuditLogEntry.id)
        )
    )


def test_a_decision_logs_what_the_hook_logs_and_leaves_the_session_clean(engine):
    with session_scope(engine) as session:
        rec_id = factories.accredited(session, name="Kestrel Peak Manpower").id
    with Session(engine) as session:
        last = session.scalar(select(AuditLogEntry.id).order_by(AuditLogEntry.id.desc()).limit(1))
    with session_scope(engine, write=True) as session:
        auditlog.set_actor(session, "auditor@example.org")
        recruiter = session.get(Recruiter, rec_id)
        before = accreditation.get(session, rec_id)
        old = {"status": before.status, "since": auditlog.jsonable(before.since)}
        decision = accreditation.decide(session, recruiter, "suspend", actor="auditor", reason="fees charged")
        acc, ev = decision.accreditation, decision.event
        # the objects are as after a flush: the new values, nothing left to write, the event has its id
        assert acc.status == "suspended" and acc.since == ev.at
        assert not session.dirty and not session.new
        assert inspect(acc).persistent and inspect(ev).persistent and ev.id is not None
        assert session.get(AccreditationEvent, ev.id) is ev
        statements = []
        event.listen(session.connection(), "before_cursor_execute", lambda *a: statements.append(a[2]))
        session.flush()
        assert statements == []  # nothing was pending
        expected_event = auditlog._snapshot(ev, frozenset())
        ev_id, at = ev.id, ev.at
    with Session(engine) as session:
        stored = session.get(Accreditation, rec_id)
        assert stored.status == "suspended"
        update, create = _entries(session, rec_id, last)
        assert (update.entity, update.action, update.entity_id, update.actor) == (
            "accreditation",
            "update",
            str(rec_id),
            "auditor@example.org",
        )
        logged_at = auditlog.jsonable(at)
        assert json.loads(update.data) == {
            "status": [old["status"], "suspended"],
            "since": [old["since"], logged_at],
            "updated_at": [json.loads(update.data)["updated_at"][0], logged_at],
        }
        assert (create.entity, create.action, create.entity_id) == (
            "accreditation_event",
            "create",
            str(ev_id),
        )
        assert json.loads(create.data) == json.loads(auditlog.canonical(expected_event))
        assert create.chain == update.chain == rec_id
        assert auditlog_verify.verify(session).ok


def test_accrediting_sets_and_logs_the_certificate(engine):
    with session_scope(engine) as session:
        rec = factories.recruiter(session, name="Sorrel Bay Recruiting")
        factories.performed_audit(session, rec)
        rec_id = rec.id
    with session_scope(engine, write=True) as session:
        recruiter = session.get(Recruiter, rec_id)
        d = accreditation.decide(session, recruiter, "accredit", actor="auditor", reason="conforming")
        assert d.accreditation.certificate_number.startswith("FRC-")
        assert d.event.valid_until == d.accreditation.valid_until is not None
        cert, until = d.accreditation.certificate_number, d.accreditation.valid_until
    with Session(engine) as session:
        stored = session.get(Accreditation, rec_id)
        assert (stored.status, stored.certificate_number, stored.valid_until) == ("accredited", cert, until)
        entry = session.scalars(
            select(AuditLogEntry)
            .where(AuditLogEntry.entity == "accreditation", AuditLogEntry.entity_id == str(rec_id))
            .order_by(AuditLogEntry.id.desc())
            .limit(1)
        ).one()
        data = json.loads(entry.data)
        assert data["certificate_number"] == [None, cert]
        assert data["valid_until"] == [None, until.isoformat()]
        assert auditlog_verify.verify(session).ok


def test_a_refused_decision_writes_nothing(engine):
    with session_scope(engine) as session:
        rec_id = factories.recruiter(session).id
    with Session(engine) as session:
        count = len(_entries(session, rec_id, 0))
    with Session(engine) as session:
        recruiter = session.get(Recruiter, rec_id)
        with pytest.raises(IllegalTransition, match="cannot suspend"):
            accreditation.decide(session, recruiter, "suspend", actor="auditor", reason="x")
        session.commit()
    with Session(engine) as session:
        assert len(_entries(session, rec_id, 0)) == count
        assert session.get(Accreditation, rec_id).status == "applicant"
