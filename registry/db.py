"""Engine and session scope: one session per request, task or bot update; the edge commits."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event, exc
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine

import registry.services.auditlog  # noqa: F401  (registers the audit-log hook on every Session)
from registry.settings import Settings


def make_engine(settings: Settings | str, **kwargs) -> Engine:
    url = settings if isinstance(settings, str) else settings.sqlalchemy_url
    if url.startswith("sqlite"):
        if isinstance(settings, Settings):
            settings.ensure_dirs()
        kwargs.setdefault("connect_args", {"check_same_thread": False, "timeout": 30})
        engine = create_engine(url, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_conn, _record):
            # Let SQLAlchemy, not the driver, open transactions (the driver would start none before a
            # SAVEPOINT, whose release would then commit on its own).
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):
            if conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
                return  # each statement on its own (a read-only API request)
            # Writers that read first ask for IMMEDIATE (execution option sqlite_immediate=True, see
            # session_scope(write=True)): they take the write lock at once and wait for each other (busy timeout)
            # instead of failing when their read snapshot is stale.
            immediate = conn.get_execution_options().get("sqlite_immediate")
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine
    engine = create_engine(url, **kwargs)
    ping_when_idle(engine)
    return engine


# A pooled server connection is tested with a round trip before use only when it has been idle this long
# (a restarted server or a firewall drops idle connections, not busy ones). Under load a connection is back
# in use within milliseconds, and a test before every checkout was a third of the round trips of an API
# read. A connection cut while it is busy fails its statement (503 with Retry-After) and is replaced.
PING_AFTER_IDLE_SECONDS = 1.0


def ping_when_idle(engine: Engine, idle_seconds: float = PING_AFTER_IDLE_SECONDS) -> None:
    dialect = engine.dialect

    @event.listens_for(engine, "checkin")
    def _checkin(_dbapi_conn, record) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checkout(dbapi_conn, record, _proxy) -> None:
        since = record.info.pop("idle_since", None)
        if since is None or time.monotonic() - since < idle_seconds:
            return  # just opened, or in use a moment ago
        try:
            dialect.do_ping(dbapi_conn)
        except dialect.loaded_dbapi.Error as err:
            # The pool discards this connection and checks out another (a new one if need be).
            raise exc.DisconnectionError(f"pooled connection lost while idle: {err}") from err


def commit_and_go_on(session: Session, *, write: bool = True) -> None:
    """Commit the unit of work so far and go on in a new transaction on the same session (the edge's
    checkpoint for long work done in chunks); write=True as in session_scope."""
    session.commit()
    if write:
        session.connection(execution_options={"sqlite_immediate": True})


@contextmanager
def session_scope(engine: Engine, *, write: bool = False) -> Iterator[Session]:
    """A unit of work: commit on success, roll back on error.

    write=True takes SQLite's write lock at the start of the transaction (no effect elsewhere).
    """
    session = Session(engine, expire_on_commit=False)
    if write:
        session.connection(execution_options={"sqlite_immediate": True})
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
