"""registry.db.DriverReads: the reads every API request runs, straight on the driver, answer exactly what
the same statements answer through a Session (dates, JSON lists, enums, on both databases), and a
database that cannot be reached raises SQLAlchemy's errors, which the request handlers answer 503."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import exc, text

from registry.db import DriverReads, first_row, make_engine
from registry.services import auditlog, companies, standing
from registry.timeutil import today
from tests import factories


def test_summary_and_key_read_the_same_through_the_driver(session, engine):
    rec = factories.accredited(session, other_names=["Testfield Manpower", "टेस्टफील्ड"])
    auditlog.set_actor(session, "test")
    company, _ = companies.get_or_create(session, "Buyer Ltd")
    key = companies.create_api_key(session, company, scopes=["read"]).plaintext
    session.commit()
    reads = DriverReads(engine)
    try:
        for as_of in (today(), today() + timedelta(days=4000)):  # accredited, then lapsed
            through_session = standing.summary_by_public_id(session, rec.public_id, as_of=as_of)
            on_driver = standing.summary_by_public_id(reads, rec.public_id.lower(), as_of=as_of)
            assert on_driver == through_session
        assert on_driver.status == "expired" and on_driver.valid_until is not None
        assert on_driver.other_names == ("Testfield Manpower", "टेस्टफील्ड")
        assert standing.summary_by_public_id(reads, "RA-NONE9", as_of=today()) is None

        assert companies.authenticate_key(reads, key) == companies.authenticate_key(session, key)
        found = companies.authenticate_key(reads, key)
        assert found is not None and found.scopes == ("read",) and found.company_id == company.id
        assert companies.authenticate_key(reads, key[:-1] + ("x" if key[-1] != "x" else "y")) is None
        # one connection for the whole request, returned to the pool at the end
        assert first_row(reads, text("SELECT 1"), {}) == (1,)
    finally:
        reads.close()
    reads.close()  # closing twice is harmless
    session.close()  # the test's own reads
    assert engine.pool.checkedout() == 0


def test_a_wrong_statement_raises_sqlalchemys_error(engine):
    reads = DriverReads(engine)
    try:
        with pytest.raises(exc.DBAPIError) as raised:
            reads.first(text("SELECT no_such_column FROM recruiter"))
        assert not raised.value.connection_invalidated
        assert reads.first(text("SELECT 2")) == (2,)  # the connection is still usable
    finally:
        reads.close()


def test_an_unreachable_database_raises_operational_error(backend, tmp_path):
    url = (
        "postgresql+psycopg://postgres@127.0.0.1:1/none?connect_timeout=2"
        if backend == "postgresql"
        else f"sqlite:///{tmp_path}/missing/dir/none.db"
    )
    engine = make_engine(url)
    reads = DriverReads(engine)
    try:
        with pytest.raises(exc.OperationalError):
            reads.first(text("SELECT 1"))
    finally:
        reads.close()
        engine.dispose()


def test_one_connection_per_thread_kept_between_requests_and_closed_at_dispose(backend, tmp_path, pg_url):
    url = pg_url if backend == "postgresql" else f"sqlite:///{tmp_path}/reads.db"
    engine = make_engine(url)
    try:
        first = DriverReads(engine)
        first.first(text("SELECT 1"))
        conn = first._fairy.dbapi_connection
        first.close()
        again = DriverReads(engine)
        again.first(text("SELECT 1"))
        assert again._fairy.dbapi_connection is conn  # the same connection, not a pool checkout
        again.close()
        assert engine.pool.checkedout() == 0

        seen = {}

        def other_thread():
            r = DriverReads(engine)
            r.first(text("SELECT 1"))
            seen["conn"] = r._fairy.dbapi_connection
            r.close()

        t = threading.Thread(target=other_thread)
        t.start()
        t.join()
        assert seen["conn"] is not conn
    finally:
        engine.dispose()
    if backend == "postgresql":
        assert conn.closed
    with pytest.raises(Exception, match="closed"):
        conn.execute("SELECT 1")


def _cut_driver_connection(engine) -> int:
    """Read once on this thread's driver connection, then have the server end it; its backend pid."""
    reads = DriverReads(engine)
    pid = reads.first(text("SELECT pg_backend_pid()"))[0]
    reads.close()
    with engine.connect() as admin:
        admin.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid})
        admin.commit()
    return pid


def test_a_connection_cut_while_idle_is_replaced(pg_url):
    """The server ends the connection (restart, firewall): the next read after the idle test gets a new one;
    a cut noticed by a statement fails that statement only (503), and the next read reconnects."""
    engine = make_engine(pg_url)
    try:
        pid = _cut_driver_connection(engine)
        # used at once (not idle): the statement fails as "unreachable", nothing else happens
        reads = DriverReads(engine)
        with pytest.raises(exc.DBAPIError) as raised:
            reads.first(text("SELECT 1"))
        assert raised.value.connection_invalidated
        assert reads.first(text("SELECT pg_backend_pid()"))[0] != pid  # a new connection
        reads.close()
    finally:
        engine.dispose()


def test_a_connection_cut_while_idle_is_tested_and_replaced_before_use(pg_url, monkeypatch):
    import registry.db

    monkeypatch.setattr(registry.db, "PING_AFTER_IDLE_SECONDS", 0.0)  # every read comes "after idleness"
    engine = make_engine(pg_url)
    try:
        pid = _cut_driver_connection(engine)
        reads = DriverReads(engine)
        assert reads.first(text("SELECT pg_backend_pid()"))[0] != pid  # no failed read at all
        reads.close()
    finally:
        engine.dispose()


def test_read_only_units_leave_sqlite_connections_as_connected(tmp_path):
    """After a unit of work in AUTOCOMMIT (registry.db.reading), SQLite's connection goes back to the pool in
    the mode set at connect (the driver starts no transaction by itself), not in the driver's default."""
    from sqlmodel import Session

    from registry.db import reading

    engine = make_engine(f"sqlite:///{tmp_path}/modes.db", pool_size=1, max_overflow=0)
    try:
        with Session(reading(engine)) as session:
            assert session.execute(text("SELECT 1")).scalar() == 1
            assert not session.connection().connection.dbapi_connection.in_transaction
        raw = engine.raw_connection()
        try:
            assert raw.dbapi_connection.isolation_level is None
        finally:
            raw.close()
        with Session(engine) as session:  # a normal unit of work still has its transaction
            session.execute(text("SELECT 1"))
            assert session.connection().connection.dbapi_connection.in_transaction
    finally:
        engine.dispose()


def test_a_thread_per_request_server_leaves_no_connections_behind(backend, tmp_path, pg_url):
    """A server that starts a thread per request (werkzeug's threaded server): the connection of a thread
    that ended is closed when another thread opens one, so open connections stay at the live threads'."""
    from registry.db import _connections

    url = pg_url if backend == "postgresql" else f"sqlite:///{tmp_path}/threads.db"
    engine = make_engine(url)
    try:
        seen = []

        def request():
            reads = DriverReads(engine)
            assert reads.first(text("SELECT 1")) == (1,)
            seen.append(reads._fairy.dbapi_connection)
            reads.close()

        for _ in range(20):
            t = threading.Thread(target=request)
            t.start()
            t.join()
        request()  # this thread
        assert _connections(engine).open_connections() == 1  # only this thread's
        for conn in seen[:-1]:  # every ended thread's, closed when this thread opened its own
            with pytest.raises(Exception, match="closed"):
                conn.execute("SELECT 1")
    finally:
        engine.dispose()


def test_postgresql_statements_are_prepared_once_per_connection_and_prepared_again_when_forgotten(pg_url):
    """On PostgreSQL a read runs as a statement prepared on its connection; a server that forgot it
    (DEALLOCATE/DISCARD ALL, as a connection pooler in front of it may do) gets it prepared again, and
    the read answers as before."""
    engine = make_engine(pg_url)
    stmt = text("SELECT CAST(:a AS int) + 1, CAST(:b AS text) || '%', CAST(:a AS int)")
    try:
        reads = DriverReads(engine)
        assert reads.first(stmt, {"a": 41, "b": "100"}) == (42, "100%", 41)
        conn = reads._fairy.dbapi_connection
        names = [r[0] for r in conn.execute("SELECT name FROM pg_prepared_statements").fetchall()]
        assert len([n for n in names if n.startswith("fairrecruit_read_")]) == 1
        assert reads.first(stmt, {"a": 1, "b": "x"}) == (2, "x%", 1)  # the same prepared statement
        names = [r[0] for r in conn.execute("SELECT name FROM pg_prepared_statements").fetchall()]
        assert len([n for n in names if n.startswith("fairrecruit_read_")]) == 1
        conn.execute("DEALLOCATE ALL")
        assert reads.first(stmt, {"a": 9, "b": "y"}) == (10, "y%", 9)
        assert reads.first(text("SELECT NULL::date, '[1, 2]'::json")) == (None, [1, 2])
        reads.close()
    finally:
        engine.dispose()


def test_numbered_placeholders():
    from registry.db import _numbered

    assert _numbered("SELECT %(a)s, %(b)s::text, %(a)s, 'x%%y'") == (
        "SELECT $1, $2::text, $1, 'x%y'",
        ("a", "b"),
    )
    assert _numbered("SELECT 1") == ("SELECT 1", ())
