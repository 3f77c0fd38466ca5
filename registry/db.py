"""Engine and session scope: one session per request, task or bot update; the edge commits."""

from __future__ import annotations

import logging
import os
import re
import threading
import time
import weakref
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg import pq
from psycopg.adapt import PyFormat, Transformer
from psycopg.errors import error_from_result
from sqlalchemy import event, exc, literal_column, select, true
from sqlalchemy.engine import Dialect, Engine
from sqlmodel import Session, create_engine

import registry.services.auditlog  # noqa: F401  (registers the audit-log hook on every Session)
from registry.settings import Settings

log = logging.getLogger(__name__)


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

        @event.listens_for(engine, "checkin")
        def _sqlite_checkin(dbapi_conn, _record):
            # Leaving AUTOCOMMIT (a read-only unit of work) SQLAlchemy hands the driver its default mode
            # back, in which it starts transactions by itself: restore the mode set at connect.
            if dbapi_conn is not None:
                dbapi_conn.isolation_level = None

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


def reading(engine: Engine) -> Engine:
    """The engine for units of work that only read: each statement on its own, in autocommit (no
    BEGIN and ROLLBACK round trips on PostgreSQL; on SQLite the begin hook starts no transaction).
    Each statement is a consistent snapshot by itself, not the unit as a whole."""
    return engine.execution_options(isolation_level="AUTOCOMMIT")


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


# --- reads straight on the driver ---------------------------------------------------------------


class _Compiled:
    """One statement compiled for one dialect: the driver's SQL, how to bind its parameters and how to
    convert its columns, each taken from SQLAlchemy's own types (so a value reads as it would through
    a Session: dates as dates on SQLite, JSON as lists)."""

    __slots__ = ("sql", "names", "positional", "binds", "fixed", "results", "numbered", "order")

    def __init__(self, stmt: Any, dialect: Dialect) -> None:
        compiled = stmt.compile(dialect=dialect)
        if compiled.post_compile_params or compiled.literal_execute_params:
            raise ValueError("a statement read on the driver cannot have expanding parameters")
        self.sql: str = compiled.string
        self.positional: bool = bool(dialect.positional)
        self.names: tuple[str, ...] = tuple(compiled.positiontup or ()) if self.positional else ()
        self.binds: dict[str, Callable[[Any], Any]] = {}
        for name, bind in compiled.binds.items():
            process = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if process is not None:
                self.binds[name] = process
        # The values written into the statement (constants), bound once.
        self.fixed: dict[str, Any] = {
            k: (self.binds[k](v) if k in self.binds else v)
            for k, v in compiled.construct_params(_check=False).items()
            if v is not None
        }
        processors = [
            c.type.dialect_impl(dialect).result_processor(dialect, None)
            for c in getattr(stmt, "selected_columns", ())
        ]
        self.results: tuple[tuple[int, Callable[[Any], Any]], ...] = tuple(
            (i, p) for i, p in enumerate(processors) if p is not None
        )
        # PostgreSQL (psycopg): the statement as libpq prepares it ($1, $2, ...) and its parameters' order.
        self.numbered, self.order = _numbered(self.sql) if _runs_on_libpq(dialect) else ("", ())

    def parameters(self, params: dict[str, Any]) -> Any:
        binds = self.binds
        values = dict(self.fixed)
        values.update((k, binds[k](v) if k in binds else v) for k, v in params.items())
        if self.positional:
            return tuple(values[name] for name in self.names)
        return values

    def row(self, raw: Sequence[Any] | None) -> tuple | None:
        if raw is None or not self.results:
            return None if raw is None else tuple(raw)
        out = list(raw)
        for i, process in self.results:
            out[i] = process(out[i])
        return tuple(out)


_PYFORMAT = re.compile(r"%\((\w+)\)s|%%")


def _numbered(sql: str) -> tuple[str, tuple[str, ...]]:
    """A psycopg statement (pyformat: %(name)s, %% for a percent sign) with libpq's numbered
    placeholders, and the parameter names in their numbers' order."""
    order: list[str] = []

    def number(found: re.Match) -> str:
        name = found.group(1)
        if name is None:
            return "%"
        if name not in order:
            order.append(name)
        return f"${order.index(name) + 1}"

    return _PYFORMAT.sub(number, sql), tuple(order)


def _runs_on_libpq(dialect: Dialect) -> bool:
    return dialect.name == "postgresql" and dialect.driver == "psycopg"


def _raise_for(conn: Any, result: Any) -> None:
    """Raise what psycopg raises for a failed result: OperationalError when the connection is lost,
    else the error class of the result's SQLSTATE."""
    if result.status in (pq.ExecStatus.TUPLES_OK, pq.ExecStatus.COMMAND_OK):
        return
    if conn.pgconn.status != pq.ConnStatus.OK:
        raise psycopg.OperationalError(pq.error_message(result, encoding=conn.info.encoding))
    raise error_from_result(result, encoding=conn.info.encoding)


def _forgotten(conn: Any, result: Any) -> bool:
    """The prepared statement does not exist (any more) on a connection that is otherwise fine."""
    return (
        conn.pgconn.status == pq.ConnStatus.OK and result.error_field(pq.DiagnosticField.SQLSTATE) == b"26000"
    )


_COMPILED: dict[tuple[int, str], tuple[Any, _Compiled]] = {}


def _compiled(stmt: Any, dialect: Dialect) -> _Compiled:
    key = (id(stmt), dialect.name)
    found = _COMPILED.get(key)
    if found is None or found[0] is not stmt:
        found = (stmt, _Compiled(stmt, dialect))  # the statement is kept, so its id stays its own
        _COMPILED[key] = found
    return found[1]


_JOINED: dict[tuple[int, int], tuple[Any, Any, Any]] = {}


def _joined(first: Any, then: Any) -> Any:
    """One statement reading `first`'s row and, beside it, `then`'s (a constant 1 at its end marks that
    `then` found a row): ``SELECT ... FROM (first) LEFT JOIN (then, 1) ON true``. Both single-row reads;
    their named parameters must differ. Built once per pair."""
    key = (id(first), id(then))
    found = _JOINED.get(key)
    if found is not None and found[0] is first and found[1] is then:
        return found[2]
    shared = set(first.compile().params) & set(then.compile().params)
    if shared:
        raise ValueError(f"reads carried together cannot share parameters: {sorted(shared)}")
    own = first.subquery("first_read")
    carried = then.add_columns(literal_column("1").label("carried_row")).subquery("carried_read")
    joined = select(*own.c, *carried.c).select_from(own.outerjoin(carried, true()))
    _JOINED[key] = (first, then, joined)
    return joined


_NOT_CARRIED: Any = object()


class _Dedicated(threading.local):
    """This thread's connection for driver reads (one per thread of a process, per engine)."""

    fairy: Any = None
    pid: int = 0
    idle_since: float = 0.0
    transformer: Any = None  # psycopg's adapters for this connection, reused as a cursor reuses its own

    def __init__(self) -> None:
        self.prepared: dict[str, bytes] = {}  # on this connection: statement -> its prepared name


class _DriverConnections:
    """One DB-API connection per thread for DriverReads, kept open between requests: outside the pool, so a
    read pays no checkout, check-in or reset (a tenth of an API request's CPU); in autocommit on
    PostgreSQL from the start. A connection idle for PING_AFTER_IDLE_SECONDS is tested before use (as the
    pool's are); one found cut is closed and replaced. They are closed when the engine is disposed; a
    forked child never uses (or closes) its parent's."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.dialect = engine.dialect
        self.local = _Dedicated()
        self._lock = threading.Lock()
        # Every thread's connection, to close them at dispose; a thread that ended has its closed when
        # another thread opens one (a server that starts a thread per request leaves no connection behind).
        self._open: dict[threading.Thread, Any] = {}
        event.listen(engine, "engine_disposed", lambda _engine: self.close_all())

    def get(self) -> Any:
        local = self.local
        fairy = local.fairy
        if fairy is not None and local.pid != os.getpid():
            # The parent's (before a fork): never used, never closed, never garbage-collected (each of
            # those would act on the parent's connection).
            _INHERITED.append(fairy)
            fairy = local.fairy = None
        if fairy is not None and time.monotonic() - local.idle_since >= PING_AFTER_IDLE_SECONDS:
            try:
                self.dialect.do_ping(fairy.dbapi_connection)
            except self.dialect.loaded_dbapi.Error:  # lost while idle: replaced below
                self.discard()
                fairy = None
        if fairy is None:
            fairy = self._open_one()
            local.fairy, local.pid, local.prepared = fairy, os.getpid(), {}
            with self._lock:
                ended = [t for t in self._open if not t.is_alive()]
                left = [self._open.pop(t) for t in ended]
                self._open[threading.current_thread()] = fairy
            _close(left)
        return fairy

    def _open_one(self) -> Any:
        try:
            fairy: Any = self.engine.raw_connection()  # the pool's connect events apply (SQLite pragmas)
        except self.dialect.loaded_dbapi.Error as err:  # refused, or lost and not reopened
            raise exc.DBAPIError.instance(
                None, None, err, self.dialect.loaded_dbapi.Error, dialect=self.dialect
            ) from err
        if self.dialect.name == "postgresql":
            fairy.driver_connection.autocommit = True
        fairy.detach()  # no longer the pool's: closing it closes it
        return fairy

    def release(self) -> None:
        self.local.idle_since = time.monotonic()

    def discard(self) -> None:
        fairy, self.local.fairy = self.local.fairy, None
        if fairy is None:
            return
        with self._lock:
            if self._open.get(threading.current_thread()) is fairy:
                del self._open[threading.current_thread()]
        _close([fairy])

    def open_connections(self) -> int:
        return len(self._open)

    def close_all(self) -> None:
        with self._lock:
            mine = list(self._open.values())
            self._open.clear()
        _close(mine)
        self.local = _Dedicated()


def _close(fairies: list[Any]) -> None:
    for fairy in fairies:
        try:
            fairy.close()  # detached: this closes the DB-API connection
        except Exception:  # noqa: BLE001 - closing what may already be gone
            log.debug("closing a driver connection", exc_info=True)


_INHERITED: list[Any] = []
_CONNECTIONS: weakref.WeakKeyDictionary[Engine, _DriverConnections] = weakref.WeakKeyDictionary()
_CONNECTIONS_LOCK = threading.Lock()


def _connections(engine: Engine) -> _DriverConnections:
    found = _CONNECTIONS.get(engine)
    if found is None:
        with _CONNECTIONS_LOCK:
            found = _CONNECTIONS.get(engine)
            if found is None:
                found = _CONNECTIONS[engine] = _DriverConnections(engine)
    return found


class DriverReads:
    """Reads that run on every API request (the key lookup, a recruiter's summary, the health check),
    executed straight on a DB-API connection: the statements are SQLAlchemy Core built once, compiled
    once per dialect; what is skipped is the per-execution machinery of a Session, a Connection and a
    Result (a third of an uncached API request's CPU, by profile), and the pool (_DriverConnections).

    Each statement runs on its own, without a transaction (PostgreSQL: autocommit; SQLite: the engine's
    connections start none by themselves), like a Session in AUTOCOMMIT. A driver error is raised as
    SQLAlchemy's DBAPIError, so every handler that answers 503 for a database that cannot be reached
    applies unchanged; a connection found cut is replaced at the next read."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.dialect = engine.dialect
        self._connections = _connections(engine)
        self._fairy: Any = None
        self._libpq = _runs_on_libpq(self.dialect)
        self._expected: tuple[Any, dict[str, Any]] | None = None
        self._carried: Any = _NOT_CARRIED

    def expect(self, stmt: Any, params: dict[str, Any]) -> None:
        """Announce a single-row read this unit will make later (the API's recruiter summary, announced
        before the key lookup): the next other read carries it in the same statement, one round trip
        instead of two, and ``first(stmt, params)`` then answers with that row. When the unit makes no
        other read first (a key already known to the process), the read runs on its own as usual."""
        self._expected = (stmt, dict(params))
        self._carried = _NOT_CARRIED

    def first(self, stmt: Any, params: dict[str, Any] | None = None) -> tuple | None:
        params = params or {}
        expected = self._expected
        if expected is None:
            return self._first(stmt, params)
        if stmt is expected[0]:
            carried, self._expected, self._carried = self._carried, None, _NOT_CARRIED
            if carried is not _NOT_CARRIED and params == expected[1]:
                return carried
            return self._first(stmt, params)
        if self._carried is not _NOT_CARRIED:  # carried already: this read is another one
            return self._first(stmt, params)
        row = self._first(_joined(stmt, expected[0]), {**params, **expected[1]})
        if row is None:  # nothing of its own, so nothing carried either: the expected read runs alone
            return None
        width = len(stmt.selected_columns)
        self._carried = row[width:-1] if row[-1] is not None else None
        return row[:width]

    def _first(self, stmt: Any, params: dict[str, Any]) -> tuple | None:
        compiled = _compiled(stmt, self.dialect)
        args = compiled.parameters(params)
        if self._fairy is None:
            self._fairy = self._connections.get()
        if self._libpq:
            return compiled.row(self._first_prepared(compiled, args))
        cursor = self._fairy.cursor()
        try:
            cursor.execute(compiled.sql, args)
            raw = cursor.fetchone()
        except self.dialect.loaded_dbapi.Error as err:
            raise self._failure(err, cursor, compiled.sql, args) from err
        finally:
            cursor.close()
        return compiled.row(raw)

    def _first_prepared(self, compiled: _Compiled, args: dict[str, Any]) -> tuple | None:
        """PostgreSQL: the statement prepared once on this connection (by libpq, through psycopg's
        `pgconn`), then run with its parameters dumped and its row loaded by psycopg's own adapters
        (`Transformer`): the values a cursor would read, without a cursor's per-execution machinery."""
        conn = self._fairy.dbapi_connection  # psycopg's Connection (the fairy is detached from the pool)
        local = self._connections.local
        prepared = local.prepared
        values = [args[name] for name in compiled.order]
        try:
            tx = local.transformer
            if tx is None or tx.connection is not conn:
                tx = local.transformer = Transformer(conn)
            dumped = tx.dump_sequence(values, [PyFormat.TEXT] * len(values))
            result = self._execute_prepared(conn, prepared, compiled.numbered, dumped)
            if result.status != pq.ExecStatus.TUPLES_OK and _forgotten(conn, result):
                prepared.clear()  # the server no longer has this connection's statements (DISCARD ALL)
                result = self._execute_prepared(conn, prepared, compiled.numbered, dumped)
            _raise_for(conn, result)
            if result.ntuples == 0:
                return None
            tx.set_pgresult(result)
            return tx.load_row(0, tuple)
        except psycopg.Error as err:
            raise self._failure(err, None, compiled.sql, args) from err

    @staticmethod
    def _execute_prepared(conn: Any, prepared: dict[str, bytes], sql: str, dumped: Any) -> Any:
        name = prepared.get(sql)
        if name is None:
            name = f"fairrecruit_read_{len(prepared) + 1}".encode()
            _raise_for(conn, conn.pgconn.prepare(name, sql.encode()))
            prepared[sql] = name
        return conn.pgconn.exec_prepared(name, dumped, result_format=pq.Format.TEXT)

    def _failure(self, err: Any, cursor: Any, sql: str, args: Any) -> exc.StatementError:
        """SQLAlchemy's error for a driver error; a connection found cut is discarded."""
        lost = self.dialect.is_disconnect(err, self._fairy.dbapi_connection, cursor)
        if lost:
            self._fairy = None
            self._connections.discard()
        return exc.DBAPIError.instance(
            sql, args, err, self.dialect.loaded_dbapi.Error, connection_invalidated=lost, dialect=self.dialect
        )

    def close(self) -> None:
        """The end of this unit of reads (a request): the connection stays open for the next one."""
        if self._fairy is not None:
            self._fairy = None
            self._connections.release()


def first_row(reader: Session | DriverReads, stmt: Any, params: dict[str, Any]) -> tuple | None:
    """The first row of a Core SELECT as a tuple (None when there is none), read through a Session or
    straight on the driver (DriverReads): the same values either way."""
    if isinstance(reader, DriverReads):
        return reader.first(stmt, params)
    row = reader.connection().execute(stmt, params).first()
    return None if row is None else tuple(row)
