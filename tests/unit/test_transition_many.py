"""Moves made in bulk (the checks) write what one move through ``transition`` writes, chunk by chunk."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from registry.errors import InvalidInput
from registry.models import AccreditationEvent, AuditLogEntry, OutboxMessage, SupplierLink, WebhookEndpoint
from registry.services import accreditation, auditlog, auditlog_verify, checks, companies
from tests import factories


def _subscribed(session, *recs):
    company, _ = companies.get_or_create(session, "Buyer Ltd")
    session.add(WebhookEndpoint(company_id=company.id, url="http://127.0.0.1:9/x", secret="s" * 32))
    for rec in recs:
        session.add(SupplierLink(company_id=company.id, recruiter_id=rec.id))


def _written(session, rec):
    """What a move wrote about `rec`: its log entries (entity, action, data keys and values without the
    moment and ids), its event and its outbox payload."""
    entries = session.scalars(
        select(AuditLogEntry)
        .where(AuditLogEntry.recruiter_id == rec.id, AuditLogEntry.actor == "system:test")
        .order_by(AuditLogEntry.entity)
    ).all()
    log = []
    for e in entries:
        data = json.loads(e.data)
        for moment in ("since", "updated_at", "at", "id", "recruiter_id"):
            data.pop(moment, None)
        log.append((e.entity, e.action, e.entity_id == str(rec.id) or e.entity, data))
    event = session.scalars(
        select(AccreditationEvent)
        .where(AccreditationEvent.recruiter_id == rec.id)
        .order_by(AccreditationEvent.id.desc())
    ).first()
    message = session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.event_type == "recruiter.status_changed")
        .where(OutboxMessage.payload["data"]["recruiter"]["public_id"].as_string() == rec.public_id)
    ).one()
    payload = message.payload["data"]
    payload.pop("at")
    payload.pop("recruiter")
    return log, (event.from_status, event.to_status, event.reason, event.actor, event.valid_until), payload


def test_bulk_move_writes_what_one_move_writes(session):
    one, many = factories.accredited(session), factories.accredited(session)
    _subscribed(session, one, many)
    session.commit()
    auditlog.set_actor(session, "system:test")
    accreditation.transition(session, one, "expired", actor="system:test", reason="not renewed")
    moved = accreditation.transition_many(
        session, [accreditation.Move(many.id, "not renewed")], "accredited", "expired", actor="system:test"
    )
    session.commit()
    assert moved == [(many.id, many.public_id)]
    log_one, event_one, payload_one = _written(session, one)
    log_many, event_many, payload_many = _written(session, many)
    assert [(e, a) for e, a, _i, _d in log_one] == [
        ("accreditation", "update"),
        ("accreditation_event", "create"),
    ]
    assert log_many == log_one
    assert event_many == event_one and payload_many == payload_one
    assert auditlog_verify.verify(session).ok


def test_bulk_move_leaves_recruiters_that_moved_meanwhile_and_refuses_other_moves(session):
    rec = factories.accredited(session)
    accreditation.decide(session, rec, "suspend", actor="a@x.org", reason="overdue")
    session.commit()
    moved = accreditation.transition_many(
        session, [accreditation.Move(rec.id, "not renewed")], "accredited", "expired", actor="system:test"
    )
    assert moved == []
    with pytest.raises(InvalidInput):
        accreditation.transition_many(
            session, [accreditation.Move(rec.id, "back")], "suspended", "accredited", actor="system:test"
        )
    with pytest.raises(InvalidInput, match="reason"):
        accreditation.transition_many(
            session, [accreditation.Move(rec.id, " ")], "accredited", "expired", actor="system:test"
        )


def test_expiry_commits_chunk_by_chunk_at_the_checkpoint(session, settings, monkeypatch):
    recs = [factories.accredited(session) for _ in range(5)]
    session.commit()
    until = max(accreditation.get(session, r.id).valid_until for r in recs)
    monkeypatch.setattr(checks, "CHUNK", 2)
    seen = []

    def checkpoint():
        session.commit()
        seen.append(
            session.scalar(
                select(AccreditationEvent.id)
                .where(AccreditationEvent.to_status == "expired")
                .order_by(AccreditationEvent.id.desc())
                .limit(1)
            )
        )

    result = checks.run(
        session,
        "accreditation_expiry",
        as_of=until + timedelta(days=1),
        settings=settings,
        checkpoint=checkpoint,
    )
    session.commit()
    assert result.counts["expired"] == 5
    if session.get_bind().dialect.name == "postgresql":
        # Two connections take turns (checks.chunk_by_chunk): the checkpoint comes first, then after this
        # session's chunks (the 1st and the 3rd); the other session commits the 2nd itself.
        assert len(seen) == 3 and None not in seen[1:]
    else:
        assert len(seen) == 3 and None not in seen  # 2 + 2 + 1, each committed when the checkpoint came
    assert {accreditation.get(session, r.id).status for r in recs} == {"expired"}
    assert auditlog_verify.verify(session).ok
    assert (
        checks.run(
            session, "accreditation_expiry", as_of=until + timedelta(days=1), settings=settings
        ).changes
        == []
    )


def test_id_sets_sent_as_one_array_select_exactly_those_rows(session):
    """bulk.among: the ids as one array parameter in its text form on PostgreSQL, an IN list on SQLite;
    only integers can reach the text."""
    from registry.models import Recruiter
    from registry.services import bulk

    recs = [factories.recruiter(session, name=f"Among Test {i} Ltd") for i in range(5)]
    session.commit()
    wanted = [recs[0].id, recs[3].id, recs[4].id, 10**9]
    dialect = session.get_bind().dialect.name
    got = session.scalars(select(Recruiter.id).where(bulk.among(Recruiter.id, wanted, dialect))).all()
    assert sorted(got) == sorted(wanted[:3])
    assert bulk.int_array_text([3, 1, 2]) == "{3,1,2}" and bulk.int_array_text([]) == "{}"
    with pytest.raises(ValueError):
        bulk.int_array_text(["1}, {2"])


@pytest.mark.parametrize("n", [1, 3, 8, 9, 40])
def test_insert_rows_writes_the_same_rows_few_or_many(session, n):
    """bulk.insert_rows: a handful of rows in one INSERT on PostgreSQL (up to bulk._FEW_ROWS), more through
    COPY, one executemany on SQLite; every way stores the same values (JSON payloads, times, quotes)."""
    from datetime import UTC, datetime

    from registry.models import OutboxMessage, table_of
    from registry.services import bulk

    now = datetime(2026, 3, 1, 12, 30, tzinfo=UTC)
    table = table_of(OutboxMessage)
    rows = [
        {
            "channel": "webhook",
            "target_id": i,
            "message_id": f"msg_insert_rows_{n}_{i}",
            "event_type": "recruiter.status_changed",
            "payload": {"n": i, "text": 'O\'Brien \\ "quoted" नेपाल', "list": [1, None, True]},
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for i in range(n)
    ]
    bulk.insert_rows(session.connection(), table, rows)
    stored = session.execute(
        select(table.c.target_id, table.c.message_id, table.c.payload, table.c.created_at)
        .where(table.c.message_id.like(f"msg_insert_rows_{n}_%"))
        .order_by(table.c.target_id)
    ).all()
    assert [(r.target_id, r.message_id, r.payload) for r in stored] == [
        (r["target_id"], r["message_id"], r["payload"]) for r in rows
    ]
    assert all(r.created_at.replace(tzinfo=UTC) == now for r in stored)
    session.rollback()


def test_insert_few_then_writes_the_rows_and_runs_the_statement_in_one(session):
    """bulk.insert_few_then (PostgreSQL): the rows stored as insert_rows stores them and the following
    statement run, in one statement; nothing done (False) on SQLite or for more than a few rows."""
    from datetime import UTC, datetime

    from registry.models import AuditChain, OutboxMessage, table_of
    from registry.services import bulk

    now = datetime(2026, 3, 1, 12, 30, tzinfo=UTC)
    table = table_of(OutboxMessage)

    def rows(n, tag):
        return [
            {
                "channel": "webhook",
                "target_id": i,
                "message_id": f"msg_few_then_{tag}_{i}",
                "event_type": "recruiter.status_changed",
                "payload": {"n": i, "text": 'O\'Brien "q" नेपाल'},
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
            for i in range(n)
        ]

    conn = session.connection()
    then = "UPDATE audit_chain SET hash = %s WHERE chain = %s"
    conn.execute(table_of(AuditChain).insert().values(chain=987654, seq=0, hash="0" * 64, anchored_seq=0))
    postgres = conn.dialect.name == "postgresql"
    assert bulk.insert_few_then(conn, table, rows(3, "a"), then, ["f" * 64, 987654]) is postgres
    assert bulk.insert_few_then(conn, table, rows(bulk._FEW_ROWS + 1, "b"), then, ["e" * 64, 987654]) is False
    stored = session.execute(
        select(table.c.message_id, table.c.payload).where(table.c.message_id.like("msg_few_then_%"))
    ).all()
    head = session.execute(select(table_of(AuditChain).c.hash).where(table_of(AuditChain).c.chain == 987654))
    if postgres:
        assert sorted(r.message_id for r in stored) == [f"msg_few_then_a_{i}" for i in range(3)]
        assert {r.payload["text"] for r in stored} == {'O\'Brien "q" नेपाल'}
        assert head.scalar() == "f" * 64
    else:
        assert stored == [] and head.scalar() == "0" * 64
    session.rollback()


def test_the_collector_is_paused_for_bulk_work_and_runs_again_after():
    import gc

    import pytest

    from registry.services import bulk

    assert gc.isenabled()
    with bulk.collector_paused():
        assert not gc.isenabled()
        with bulk.collector_paused():  # nested: the outer one resumes it
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(RuntimeError), bulk.collector_paused():
        raise RuntimeError("a check that fails")
    assert gc.isenabled()
    gc.disable()  # paused by someone else: left so
    try:
        with bulk.collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_check_runs_with_the_collector_paused(session, monkeypatch):
    import gc

    from registry.services import checks
    from registry.settings import Settings
    from registry.timeutil import today

    seen = []
    spec = checks.CHECKS["retention"]
    monkeypatch.setitem(
        checks.CHECKS,
        "retention",
        type(spec)(**{**vars(spec), "fn": lambda *a, **k: seen.append(gc.isenabled()) or spec.fn(*a, **k)}),
    )
    checks.run(session, "retention", as_of=today(), settings=Settings(env="test"))
    assert seen == [False] and gc.isenabled()


def _lapsed(session, n: int):
    recs = [factories.accredited(session, name=f"Lapsed Overseas {i:02d}") for i in range(n)]
    _subscribed(session, *recs[:5])
    session.commit()
    until = max(accreditation.get(session, r.id).valid_until for r in recs)
    return recs, until + timedelta(days=1)


def _expire_chunk_by_chunk(session, settings, as_of):
    """The expiry check committed chunk by chunk, as the worker and the CLI run it."""
    from registry.db import commit_and_go_on

    return checks.run(
        session,
        "accreditation_expiry",
        as_of=as_of,
        settings=settings,
        checkpoint=lambda: commit_and_go_on(session),
    )


def test_expiry_in_many_chunks_moves_each_recruiter_once_whichever_connection(session, settings, monkeypatch):
    """40 lapsed accreditations in chunks of 3, committed chunk by chunk as the worker does. On PostgreSQL
    two connections take turns (this session and one in a thread); on SQLite one. Either way: each
    recruiter expired once, with its event, its two log entries and its outbox message, the result in
    recruiter order, the log intact, and a second run finds nothing."""
    import threading

    recs, as_of = _lapsed(session, 40)
    ids = sorted(r.id for r in recs)
    by_public = {r.public_id: r.id for r in recs}
    monkeypatch.setattr(checks, "CHUNK", 3)
    threads = set()
    real = accreditation.transition_many

    def spy(on, moves, *args, **kw):
        threads.add(threading.current_thread().name)
        return real(on, moves, *args, **kw)

    monkeypatch.setattr(accreditation, "transition_many", spy)
    result = _expire_chunk_by_chunk(session, settings, as_of)
    session.commit()
    assert result.counts["expired"] == 40
    assert [by_public[line.split(":")[0]] for line in result.changes] == ids
    if session.get_bind().dialect.name == "postgresql":
        assert len(threads) == 2  # this thread and the second connection's
    else:
        assert len(threads) == 1
    events = session.scalars(
        select(AccreditationEvent.recruiter_id).where(AccreditationEvent.to_status == "expired")
    ).all()
    assert sorted(events) == ids
    entries = session.scalars(
        select(AuditLogEntry.recruiter_id).where(AuditLogEntry.actor == "system:accreditation_expiry")
    ).all()
    assert sorted(entries) == sorted(ids * 2)  # the move and its event, for each
    messages = session.scalars(select(OutboxMessage.payload)).all()
    moved = [m for m in messages if m.get("type") == "recruiter.status_changed"]
    assert len(moved) == 5  # the five recruiters with a subscribed company
    assert auditlog_verify.verify(session).ok
    assert checks.run(session, "accreditation_expiry", as_of=as_of, settings=settings).changes == []


@pytest.mark.parametrize("failing", [2, 3])  # a chunk of this session, a chunk of the other connection
def test_a_failing_chunk_stops_the_check_and_a_second_run_finishes_it(
    session, settings, monkeypatch, failing
):
    """A chunk that fails (on either connection) stops the check after the chunks under way; the error
    reaches the caller; what was committed stays whole, and the next run moves the rest."""
    recs, as_of = _lapsed(session, 60)  # 20 chunks: 10 on each connection
    ids = sorted(r.id for r in recs)
    monkeypatch.setattr(checks, "CHUNK", 3)
    real = accreditation.transition_many
    calls = []

    def breaking(on, moves, *args, **kw):
        calls.append(moves[0].recruiter_id)
        if moves[0].recruiter_id == ids[failing * 3]:
            raise RuntimeError("lost the database")
        return real(on, moves, *args, **kw)

    monkeypatch.setattr(accreditation, "transition_many", breaking)
    with pytest.raises(RuntimeError, match="lost the database"):
        _expire_chunk_by_chunk(session, settings, as_of)
    session.rollback()
    # Both sides stopped after their chunk under way (one side alone would make 10 calls).
    assert len(calls) < 12
    expired = session.scalars(
        select(AccreditationEvent.recruiter_id).where(AccreditationEvent.to_status == "expired")
    ).all()
    assert len(expired) == len(set(expired)) and len(expired) % 3 == 0  # whole chunks only
    assert auditlog_verify.verify(session).ok
    monkeypatch.setattr(accreditation, "transition_many", real)
    again = checks.run(session, "accreditation_expiry", as_of=as_of, settings=settings)
    session.commit()
    assert again.counts["expired"] == 60 - len(expired)
    assert {accreditation.get(session, rid).status for rid in ids} == {"expired"}
    assert auditlog_verify.verify(session).ok


def test_subscribers_of_many_recruiters_each_once(session):
    """outbox._subscribers over thousands of ids (a check's chunk, a register import), some given twice:
    each recruiter's summary, endpoints and followers once, and none of a recruiter not asked for. (On
    PostgreSQL the endpoints and followers are read with a semi-join on the ids: with `= ANY(array)` the
    planner scanned the follower table comparing every row with every id, 50 s for 30,000 ids over 5,000
    followers.)"""
    from registry.models import Follower
    from registry.services import outbox

    recs = [factories.recruiter(session, name=f"Subscribed Manpower {i}") for i in range(4)]
    _subscribed(session, recs[0], recs[2])
    for chat in (11, 12):
        session.add(Follower(chat_id=chat, recruiter_id=recs[0].id))
    session.add(Follower(chat_id=13, recruiter_id=recs[3].id))  # not asked for below
    session.commit()
    far = list(range(10**8, 10**8 + 3000))  # ids of no recruiter, as many as a big import's
    ids = [recs[0].id, recs[1].id, recs[0].id, recs[2].id, *far]
    summaries, endpoints, followers = outbox._subscribers(session, outbox.STATUS_CHANGED, ids)
    assert set(summaries) == {recs[0].id, recs[1].id, recs[2].id}
    assert {rid: len(e) for rid, e in endpoints.items()} == {recs[0].id: 1, recs[2].id: 1}
    assert {rid: len(f) for rid, f in followers.items()} == {recs[0].id: 2}
