"""Bulk writing on a Core connection: what the recruiters import, the volume seed and the audit log share.

* ``insert_rows``: one executemany of many rows, fast on SQLite (see its docstring);
* ``next_id`` / ``fix_sequences``: explicit ids for rows written in bulk, and the sequences moved past
  them afterwards (PostgreSQL), so the ORM keeps allocating ids after a bulk load;
* ``unique_codes``: random codes (public ids, case codes) that are not taken yet;
* ``NoProgress`` / ``ProgressFactory``: the progress-bar interface long loads report to.
"""

from __future__ import annotations

import gc
import json
import random
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol

from sqlalchemy import (
    ARRAY,
    JSON,
    Integer,
    Table,
    Text,
    any_,
    cast,
    func,
    insert,
    literal,
    select,
    text,
)
from sqlalchemy.engine import Connection


class NoProgress:
    """A progress bar that shows nothing."""

    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


class ProgressBar(Protocol):
    def update(self, n: int = 1) -> object: ...

    def close(self) -> object: ...


# progress(total, description) -> a bar with update(n) and close() (tqdm fits)
ProgressFactory = Callable[[int, str], ProgressBar]


def no_progress(total: int, desc: str) -> NoProgress:
    return NoProgress()


def next_id(conn: Connection, table: Table) -> int:
    """The first free id of `table` (the caller holds the table lock or the write transaction)."""
    return (conn.execute(select(func.max(table.c.id))).scalar() or 0) + 1


def fix_sequences(conn: Connection, tables: Iterable[Table]) -> None:
    """PostgreSQL: move each table's id sequence past the ids written explicitly."""
    if conn.dialect.name != "postgresql":
        return
    for t in tables:
        conn.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{t.name}', 'id'), "
                f'(SELECT COALESCE(MAX(id), 0) + 1 FROM "{t.name}"), false)'
            )
        )


def unique_codes(
    rng: random.Random, alphabet: str, length: int, taken: set[str], n: int, fmt: Callable[[str], str]
) -> list[str]:
    """`n` new codes fmt(<length random characters of alphabet>), none in `taken` (which grows)."""
    out: list[str] = []
    choices = rng.choices
    while len(out) < n:
        code = fmt("".join(choices(alphabet, k=length)))
        if code not in taken:
            taken.add(code)
            out.append(code)
    return out


_COMPILED: dict[tuple, tuple[str, list]] = {}


# Up to this many rows go in one INSERT statement rather than a COPY: COPY costs two round trips (the
# server's go-ahead, then the data) and a copy object per call, which for the one or two rows of a
# single write (a fee report's log entry, a decision's outbox message) is most of its cost.
_FEW_ROWS = 8


def _few_rows_sql(table: Table, keys: list[str], n: int) -> tuple[str, list[str]]:
    """The INSERT of `n` rows of these columns (positional parameters), and its JSON columns."""
    marks = ", ".join("CAST(%s AS json)" if isinstance(table.c[k].type, JSON) else "%s" for k in keys)
    columns = ", ".join(f'"{k}"' for k in keys)
    values = ", ".join(f"({marks})" for _ in range(n))
    as_json = [k for k in keys if isinstance(table.c[k].type, JSON)]
    return f'INSERT INTO "{table.name}" ({columns}) VALUES {values}', as_json


def _insert_few(conn: Connection, table: Table, rows: list[dict]) -> None:
    """PostgreSQL: a handful of rows in one INSERT on the driver (JSON columns as text, cast by the
    server); the statement's text depends only on the table, the columns and the row count, so psycopg
    prepares it once it recurs."""
    keys = list(rows[0])
    cache_key = ("few", table.name, tuple(keys), len(rows))
    compiled = _COMPILED.get(cache_key)
    if compiled is None:
        compiled = _COMPILED[cache_key] = _few_rows_sql(table, keys, len(rows))
    sql, as_json = compiled
    params = [json.dumps(r[k]) if k in as_json else r[k] for r in rows for k in keys]
    raw: Any = conn.connection.driver_connection
    with raw.cursor() as cur:
        cur.execute(sql, params)


def insert_few_then(conn: Connection, table: Table, rows: list[dict], then: str, params: list) -> bool:
    """PostgreSQL: insert a handful of rows (``_insert_few``) and run `then` (a statement with positional
    ``%s`` parameters, on other tables) in one statement, one round trip: ``WITH inserted AS (INSERT ...)
    <then>``. Returns False, having done nothing, elsewhere or for more rows than ``_FEW_ROWS``."""
    if conn.dialect.name != "postgresql" or not rows or len(rows) > _FEW_ROWS:
        return False
    keys = list(rows[0])
    cache_key = ("few-then", table.name, tuple(keys), len(rows), then)
    compiled = _COMPILED.get(cache_key)
    if compiled is None:
        insert_sql, as_json = _few_rows_sql(table, keys, len(rows))
        compiled = _COMPILED[cache_key] = (f"WITH inserted AS ({insert_sql}) {then}", as_json)
    sql, as_json = compiled
    values = [json.dumps(r[k]) if k in as_json else r[k] for r in rows for k in keys]
    raw: Any = conn.connection.driver_connection
    with raw.cursor() as cur:
        cur.execute(sql, [*values, *params])
    return True


def _copy_rows(conn: Connection, table: Table, rows: list[dict]) -> None:
    """PostgreSQL: the rows through COPY on the connection's own transaction (JSON columns as text);
    a handful of rows through one INSERT (``_insert_few``)."""
    if len(rows) <= _FEW_ROWS:
        _insert_few(conn, table, rows)
        return
    keys = list(rows[0])
    as_json = {k for k in keys if isinstance(table.c[k].type, JSON)}
    columns = ", ".join(f'"{k}"' for k in keys)
    raw: Any = conn.connection.driver_connection
    with raw.cursor() as cur, cur.copy(f'COPY "{table.name}" ({columns}) FROM STDIN') as cp:
        if as_json:
            for r in rows:
                cp.write_row([json.dumps(r[k]) if k in as_json else r[k] for k in keys])
        else:
            for r in rows:
                cp.write_row([r[k] for k in keys])


def int_array_text(ids: Iterable[int]) -> str:
    """PostgreSQL's text form of an integer array ('{1,2,3}'), for a parameter cast to integer[] by the
    server: the driver would otherwise inspect and convert each element in Python."""
    return "{" + ",".join(str(int(i)) for i in ids) + "}"  # int(): only integers reach the text


def among(column, ids: list[int], dialect_name: str):
    """`column IN ids` as one array parameter on PostgreSQL (no statement with thousands of
    placeholders to build and parse), a plain IN list elsewhere (keep ids below SQLite's bound).

    On PostgreSQL the array is sent as its text form ('{1,2,3}') and cast by the server: the driver
    would otherwise inspect and convert each element in Python (most of the cost of a write chunk's
    statements)."""
    if dialect_name == "postgresql":
        return column == any_(cast(literal(int_array_text(ids), Text()), ARRAY(Integer)))
    return column.in_(ids)


def insert_returning_ids(conn: Connection, table: Table, rows: list[dict]) -> list[int]:
    """Insert rows (without ids) and return their new ids in the rows' order: on PostgreSQL the ids are
    taken from the table's sequence first and the rows written with COPY."""
    if not rows:
        return []
    if conn.dialect.name == "postgresql":
        ids = list(
            conn.execute(
                text("SELECT nextval(pg_get_serial_sequence(:t, 'id')) FROM generate_series(1, :n)"),
                {"t": table.name, "n": len(rows)},
            )
            .scalars()
            .all()
        )
        _copy_rows(conn, table, [{"id": i, **r} for i, r in zip(ids, rows, strict=True)])
        return ids
    return list(
        conn.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True), rows).scalars()
    )


def insert_rows(conn: Connection, table: Table, rows: list[dict], constant: tuple[str, ...] = ()) -> None:
    """Bulk INSERT of rows (dicts with the same keys): COPY on PostgreSQL, one executemany elsewhere.

    On SQLite the statement is compiled once by SQLAlchemy Core and executed with positional
    tuples; values go through the columns' own bind processors (exactly what Core would store),
    without Core's per-row parameter bookkeeping, which dominates the cost of large loads.
    Columns named in `constant` hold the same value in every row: it is converted once.
    """
    if not rows:
        return
    dialect = conn.dialect
    if dialect.name == "postgresql":
        _copy_rows(conn, table, rows)
        return
    if dialect.name != "sqlite":
        conn.execute(insert(table), rows)
        return
    keys = tuple(rows[0])
    cache_key = (table.name, keys)
    compiled = _COMPILED.get(cache_key)
    if compiled is None:
        stmt = insert(table).compile(dialect=dialect, column_keys=list(keys))
        if stmt.positiontup is None:
            raise RuntimeError("SQLite's parameters are positional")
        order = list(stmt.positiontup)
        procs = [(k, table.c[k].type.dialect_impl(dialect).bind_processor(dialect)) for k in order]
        compiled = _COMPILED[cache_key] = (str(stmt), procs)
    sql, procs = compiled
    columns = []
    n = len(rows)
    for key, proc in procs:
        if key in constant:
            v = rows[0][key]
            columns.append([proc(v) if proc is not None else v] * n)
            continue
        values = [r[key] for r in rows]
        if proc is not None:
            values = [proc(v) for v in values]
        columns.append(values)
    conn.exec_driver_sql(sql, list(zip(*columns, strict=True)))


class Ids:
    """Explicit ids for rows written in bulk: from the first free id of each table, counting up."""

    def __init__(self, conn: Connection, tables: Iterable[Table]):
        self._next = {t.name: next_id(conn, t) for t in tables}

    def take(self, table: str) -> int:
        i = self._next[table]
        self._next[table] = i + 1
        return i

    def peek(self, table: str) -> int:
        """The id the next `take(table)` returns."""
        return self._next[table]


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while bulk work runs (a compliance check's first run: tens of
    thousands of rows read, log entries and messages made). Its objects are freed by reference counting
    as they go; the collector's passes over the ones still held cost a sixth of the expiry check's CPU
    (profiled), for nothing to collect. It runs again afterwards, and collects then what there is."""
    if not gc.isenabled():  # paused already (nested): the outer one resumes it
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
