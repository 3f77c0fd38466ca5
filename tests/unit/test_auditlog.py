from __future__ import annotations

import json
import time
from contextlib import contextmanager

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from registry.models import AuditLogEntry
from registry.services import accreditation, auditlog, auditlog_verify
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
    assert auditlog_verify.verify(session).ok


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
    result = auditlog_verify.verify(session)
    assert result.ok and result.checked > 5
    out = cli("audit-log", "verify")
    assert out.exit_code == 0, out.output
    assert "intact" in out.output


def _middle(session):
    """(chain, seq) of an entry in the middle of the longest chain (seq runs 1..n in a chain)."""
    chain, n = session.execute(
        text("SELECT chain, count(*) FROM audit_log GROUP BY chain ORDER BY count(*) DESC, chain LIMIT 1")
    ).one()
    assert n >= 3
    return chain, n // 2 + 1


def test_entries_are_chained_per_recruiter(session):
    a = factories.accredited(session, name="Himal Crest Overseas Pvt. Ltd.")
    b = factories.recruiter(session, name="Bluewater Staffing Ltd.")
    session.commit()
    rows = session.execute(text("SELECT chain, recruiter_id, seq FROM audit_log ORDER BY id")).all()
    assert {c for c, _r, _s in rows} == {a.id, b.id}
    assert all(c == r for c, r, _s in rows)
    for rec in (a, b):
        seqs = [s for c, _r, s in rows if c == rec.id]
        assert seqs == list(range(1, len(seqs) + 1))
    heads = dict(session.execute(text("SELECT chain, seq FROM audit_chain")).all())
    assert heads == {rec.id: max(s for c, _r, s in rows if c == rec.id) for rec in (a, b)}
    assert auditlog_verify.verify(session).ok


def test_altered_entry_is_named(session, cli):
    _history(session)
    chain, seq = _middle(session)
    with tampering(session):
        session.execute(
            text(
                "UPDATE audit_log SET data = replace(data, 'accredited', 'applicant') "
                "WHERE chain = :c AND seq = :s"
            ),
            {"c": chain, "s": seq},
        )
        session.execute(
            text("UPDATE audit_log SET actor = 'mallory' WHERE chain = :c AND seq = :s"),
            {"c": chain, "s": seq},
        )
    result = auditlog_verify.verify(session)
    assert not result.ok and result.chain == chain and result.first_bad_seq == seq
    assert "altered" in result.problem
    out = cli("audit-log", "verify")
    assert out.exit_code == 1
    assert f"chain {chain} at entry seq={seq}" in out.output


def test_deleted_entry_is_named(session, cli):
    _history(session)
    chain, seq = _middle(session)
    with tampering(session):
        session.execute(text("DELETE FROM audit_log WHERE chain = :c AND seq = :s"), {"c": chain, "s": seq})
    result = auditlog_verify.verify(session)
    assert not result.ok and result.chain == chain and result.first_bad_seq == seq + 1
    assert "deleted" in result.problem
    out = cli("audit-log", "verify")
    assert out.exit_code == 1 and f"seq={seq + 1}" in out.output


def test_reordered_entries_are_detected(session, cli):
    _history(session)
    chain, seq = _middle(session)
    # swap the positions of two neighbouring entries
    where = "chain = :c AND seq = :s"
    with tampering(session):
        session.execute(text(f"UPDATE audit_log SET seq = -1 WHERE {where}"), {"c": chain, "s": seq})
        session.execute(
            text(f"UPDATE audit_log SET seq = :s WHERE {where.replace(':s', ':n')}"),
            {"c": chain, "s": seq, "n": seq + 1},
        )
        session.execute(
            text("UPDATE audit_log SET seq = :n WHERE chain = :c AND seq = -1"), {"c": chain, "n": seq + 1}
        )
    result = auditlog_verify.verify(session)
    assert not result.ok and result.chain == chain and result.first_bad_seq == seq
    out = cli("audit-log", "verify")
    assert out.exit_code == 1 and f"seq={seq}" in out.output


def test_entry_moved_to_another_chain_is_detected(session):
    rec = _history(session)
    other = factories.recruiter(session, name="Bluewater Staffing Ltd.")
    session.commit()
    with tampering(session):
        session.execute(
            text("UPDATE audit_log SET chain = :o, seq = 999 WHERE chain = :c AND seq = 2"),
            {"o": other.id, "c": rec.id},
        )
    result = auditlog_verify.verify(session)
    assert not result.ok and result.chain == rec.id and result.first_bad_seq == 3


def _truncate(session, chain, *, rewind_head: bool):
    """Delete a chain's last entry; with rewind_head also move its head back onto the entry before."""
    last = session.scalar(text("SELECT max(seq) FROM audit_log WHERE chain = :c"), {"c": chain})
    with tampering(session):
        session.execute(text("DELETE FROM audit_log WHERE chain = :c AND seq = :s"), {"c": chain, "s": last})
        if rewind_head:
            session.execute(
                text(
                    "UPDATE audit_chain SET seq = :p, hash = (SELECT hash FROM audit_log WHERE chain = :c "
                    "AND seq = :p) WHERE chain = :c"
                ),
                {"c": chain, "p": last - 1},
            )
    return last


def test_tail_truncation_is_caught_by_the_head(session, cli):
    rec = _history(session)
    assert auditlog_verify.verify(session).ok
    last = _truncate(session, rec.id, rewind_head=False)
    result = auditlog_verify.verify(session)
    assert not result.ok and result.chain == rec.id and result.first_bad_seq == last
    assert "deleted" in result.problem and f"head is at seq {last}" in result.problem
    assert cli("audit-log", "verify").exit_code == 1


def test_tail_truncation_with_a_rewound_head_is_caught_by_an_anchor(session):
    rec = _history(session)
    assert auditlog.anchor(session) == 1
    session.commit()
    assert auditlog.anchor(session) == 0  # nothing moved since
    assert auditlog_verify.verify(session).ok
    last = _truncate(session, rec.id, rewind_head=True)
    result = auditlog_verify.verify(session)
    assert not result.ok and result.chain == rec.id and result.first_bad_seq == last
    assert f"an anchor pinned seq {last}" in result.problem


def test_unanchored_tail_is_protected_only_by_the_head(session):
    """The limit of per-recruiter chains: what moved after the last anchor is pinned by nothing but its
    head, so an attacker who deletes it and rewinds the head is not seen until the next anchor."""
    rec = _history(session)
    auditlog.anchor(session)
    session.commit()
    accreditation.decide(session, rec, "suspend", actor="a@x.org", reason="overdue corrective action")
    session.commit()
    _truncate(session, rec.id, rewind_head=True)
    assert auditlog_verify.verify(session).ok


def test_anchor_pins_every_moved_chain_and_is_itself_chained(session, cli):
    a = _history(session)
    b = factories.recruiter(session, name="Bluewater Staffing Ltd.")
    session.commit()
    assert auditlog.anchor(session, per_entry=1) == 2
    session.commit()
    anchors = session.execute(
        text("SELECT seq, data FROM audit_log WHERE chain = :c ORDER BY seq"), {"c": auditlog.ANCHOR_CHAIN}
    ).all()
    assert [s for s, _d in anchors] == [1, 2]
    pinned = [tuple(h[:2]) for _s, d in anchors for h in json.loads(d)["heads"]]
    heads = dict(session.execute(text("SELECT chain, seq FROM audit_chain WHERE chain > 0")).all())
    assert sorted(pinned) == sorted(heads.items()) and {a.id, b.id} == set(heads)
    with tampering(session):
        session.execute(
            text("UPDATE audit_log SET data = replace(data, '[[', '[[1') WHERE chain = :c AND seq = 1"),
            {"c": auditlog.ANCHOR_CHAIN},
        )
    result = auditlog_verify.verify(session)
    assert not result.ok and result.chain == auditlog.ANCHOR_CHAIN and result.first_bad_seq == 1


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


def test_writers_about_different_recruiters_do_not_wait_for_each_other(engine):
    """Only the head of the chain being appended to is locked: while one transaction holds recruiter
    A's chain, another commits about recruiter B (a wait would end in its lock timeout), and one about
    A has to wait."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time")
    from sqlalchemy.exc import OperationalError
    from sqlmodel import Session

    with Session(engine) as s:
        auditlog.set_actor(s, "test")
        a = factories.accredited(s, name="Himal Crest Overseas Pvt. Ltd.")
        b = factories.accredited(s, name="Bluewater Staffing Ltd.")
        s.commit()
        a_id, b_id = a.id, b.id
    holder, other = Session(engine), Session(engine)
    try:
        auditlog.set_actor(holder, "a@x.org")
        rec_a = holder.get(type(a), a_id)
        accreditation.decide(holder, rec_a, "suspend", actor="a@x.org", reason="overdue corrective action")
        # holder has appended to chain A and keeps its transaction open
        auditlog.set_actor(other, "b@x.org")
        other.execute(text("SET lock_timeout = '3s'"))
        rec_b = other.get(type(b), b_id)
        accreditation.decide(other, rec_b, "suspend", actor="b@x.org", reason="licence cancelled")
        other.commit()
        other.execute(text("SET lock_timeout = '200ms'"))
        with pytest.raises(OperationalError, match="lock timeout"):
            auditlog.append(
                other.connection(), [auditlog.PendingEntry("b@x.org", "update", "note", "1", a_id, {})]
            )
        other.rollback()
        holder.commit()
    finally:
        holder.close()
        other.close()
    with Session(engine) as s:
        assert auditlog_verify.verify(s).ok


def test_anchor_cli_pins_and_verify_checks_the_anchor(session, cli):
    _history(session)
    out = cli("audit-log", "anchor")
    assert out.exit_code == 0 and "anchored 1 chains" in out.output, out.output
    again = cli("audit-log", "anchor")
    assert "anchored 0 chains" in again.output
    assert session.scalar(text("SELECT count(*) FROM audit_log WHERE chain = -1")) == 1
    assert cli("audit-log", "verify").exit_code == 0


def test_the_log_encodes_as_the_json_encoder_does():
    """The one-shot encoder the log hashes with gives exactly the text of its JSONEncoder."""
    from datetime import UTC, date, datetime
    from decimal import Decimal

    from registry.services.auditlog import _CANONICAL, canonical

    values = [
        {"b": 1, "a": [1, 2.5, None, True, False], "ü": 'नमस्ते \u2028 "q" \\ \n', "n": {"z": {}, "y": []}},
        [7, "2026-01-01T00:00:00+00:00", "system:check", "update", "accreditation", "42", '{"x":1}'],
        {"at": datetime(2026, 3, 1, 12, 0, tzinfo=UTC), "d": date(2026, 3, 1), "amount": Decimal("1200.50")},
        "a string alone",
        1e100,
        -0.0,
        12345678901234567890,
        {"k": float("inf")},
    ]
    for value in values:
        assert canonical(value) == _CANONICAL.encode(value)
