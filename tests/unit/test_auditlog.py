from __future__ import annotations

import json
import time
from contextlib import contextmanager

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from registry.models import AuditLogEntry
from registry.services import accreditation, auditlog
from registry.timeutil import utcnow
from tests import factories


@contextmanager
def tampering(session):
    """An attacker with database-owner rights: switch off the append-only triggers, then tamper."""
    from registry.services.auditlog import protect_sql, unprotect_sql

    dialect = session.get_bind().dialect.name
    for stmt in unprotect_sql(dialect):
        session.execute(text(stmt))
    yield
    for stmt in protect_sql(dialect):
        session.execute(text(stmt))
    session.commit()


def test_database_refuses_update_and_delete(session):
    _history(session)
    for stmt in ("UPDATE audit_log SET actor = 'mallory'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError, match="append-only"):
            session.execute(text(stmt))
        session.rollback()
    assert auditlog.verify(session).ok


def _history(session):
    rec = factories.accredited(session, name="Himal Crest Overseas Pvt. Ltd.")
    session.commit()
    return rec


def test_every_change_is_logged_in_the_same_transaction(session):
    rec = factories.recruiter(session, name="Bluewater Staffing Ltd.")
    session.rollback()  # the change and its log entries vanish together
    assert session.scalar(text("SELECT count(*) FROM audit_log")) == 0
    rec = factories.recruiter(session, name="Bluewater Staffing Ltd.")
    session.commit()
    entities = [e for (e,) in session.execute(text("SELECT entity FROM audit_log ORDER BY seq"))]
    assert {"recruiter", "accreditation", "accreditation_event", "corridor"} <= set(entities)
    entry = session.scalars(
        __import__("sqlalchemy").select(AuditLogEntry).where(AuditLogEntry.entity == "recruiter")
    ).first()
    assert entry.actor == "test" and entry.recruiter_id == rec.id
    assert json.loads(entry.data)["legal_name"] == "Bluewater Staffing Ltd."


def test_intact_log_verifies_and_cli_exits_zero(session, cli):
    _history(session)
    result = auditlog.verify(session)
    assert result.ok and result.checked > 5
    out = cli("audit-log", "verify")
    assert out.exit_code == 0, out.output
    assert "intact" in out.output


def _middle(session):
    n = session.scalar(text("SELECT count(*) FROM audit_log"))
    return session.scalar(text("SELECT seq FROM audit_log ORDER BY seq LIMIT 1 OFFSET :o"), {"o": n // 2})


def test_altered_entry_is_named(session, cli):
    _history(session)
    seq = _middle(session)
    with tampering(session):
        session.execute(
            text("UPDATE audit_log SET data = replace(data, 'accredited', 'applicant') WHERE seq = :s"),
            {"s": seq},
        )
        session.execute(text("UPDATE audit_log SET actor = 'mallory' WHERE seq = :s"), {"s": seq})
    result = auditlog.verify(session)
    assert not result.ok and result.first_bad_seq == seq and "altered" in result.problem
    out = cli("audit-log", "verify")
    assert out.exit_code == 1
    assert f"seq={seq}" in out.output


def test_deleted_entry_is_named(session, cli):
    _history(session)
    seq = _middle(session)
    with tampering(session):
        session.execute(text("DELETE FROM audit_log WHERE seq = :s"), {"s": seq})
    result = auditlog.verify(session)
    assert not result.ok and result.first_bad_seq == seq + 1 and "deleted" in result.problem
    out = cli("audit-log", "verify")
    assert out.exit_code == 1 and f"seq={seq + 1}" in out.output


def test_reordered_entries_are_detected(session, cli):
    _history(session)
    seq = _middle(session)
    # swap the positions of two neighbouring entries
    with tampering(session):
        session.execute(text("UPDATE audit_log SET seq = -1 WHERE seq = :s"), {"s": seq})
        session.execute(text("UPDATE audit_log SET seq = :s WHERE seq = :n"), {"s": seq, "n": seq + 1})
        session.execute(text("UPDATE audit_log SET seq = :n WHERE seq = -1"), {"n": seq + 1})
    result = auditlog.verify(session)
    assert not result.ok and result.first_bad_seq == seq
    out = cli("audit-log", "verify")
    assert out.exit_code == 1 and f"seq={seq}" in out.output


def test_tail_truncation_is_not_silent_about_the_rest(session):
    _history(session)
    assert auditlog.verify(session).ok
    # a fully consistent prefix still verifies: the chain proves what it contains
    with tampering(session):
        session.execute(text("DELETE FROM audit_log WHERE seq = (SELECT max(seq) FROM audit_log)"))
    assert auditlog.verify(session).ok


def test_status_at_time_t(session):
    rec = factories.recruiter(session, name="Saffron Route Manpower")
    session.commit()
    t_applicant = utcnow()
    time.sleep(0.01)
    factories.performed_audit(session, rec)
    accreditation.decide(session, rec, "accredit", actor="a@x.org", reason="conforming")
    session.commit()
    t_accredited = utcnow()
    time.sleep(0.01)
    accreditation.decide(session, rec, "suspend", actor="a@x.org", reason="overdue corrective action")
    session.commit()
    assert auditlog.status_at(session, rec.id, t_applicant)["status"] == "applicant"
    st = auditlog.status_at(session, rec.id, t_accredited)
    assert st["status"] == "accredited" and st["valid_until"]
    assert auditlog.status_at(session, rec.id, utcnow())["status"] == "suspended"
    from datetime import timedelta

    assert auditlog.status_at(session, rec.id, t_applicant - timedelta(days=1)) is None
