"""What every list query of the registry shares: pages by keyset or by offset, counts, and LIKE
patterns built from what a person typed.

Views and API routes parse their arguments, call a list function of the service that owns the rows
(``recruiters.list_page``, ``reports.list_page``, ...), and render what it returns; those functions
build their statements with the helpers here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, false, func, or_, select
from sqlalchemy.sql import ColumnElement, Select
from sqlmodel import Session

LIKE_ESCAPE = "\\"


def like_escape(text: str) -> str:
    """`text` for a LIKE pattern (with ``escape=LIKE_ESCAPE``): its ``%`` and ``_`` match themselves."""
    return (
        text.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2)
        .replace("%", LIKE_ESCAPE + "%")
        .replace("_", LIKE_ESCAPE + "_")
    )


def contains(column, text: str) -> ColumnElement[bool]:
    """Case-insensitive: the column's value contains `text`, taken literally (never, with a NUL in
    it: no stored text holds one, and PostgreSQL cannot compare one)."""
    if "\x00" in text:
        return false()
    return func.lower(column).like(f"%{like_escape(text.lower())}%", escape=LIKE_ESCAPE)


def starts_with(column, text: str) -> ColumnElement[bool]:
    """The column's value begins with `text`, taken literally (case as stored; never with a NUL)."""
    if "\x00" in text:
        return false()
    return column.like(f"{like_escape(text)}%", escape=LIKE_ESCAPE)


@dataclass
class ListPage:
    """One page of a list: its rows, the size of the whole list when it was counted, and whether
    rows follow in the direction the page was read (keyset pages)."""

    rows: list
    total: int | None = None
    more: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def count_rows(session: Session, entity, *conds, joins: Sequence[tuple[Any, Any]] = ()) -> int:
    """How many rows of `entity` meet `conds` (after inner `joins` of (table, on clause))."""
    stmt = select(func.count()).select_from(entity)
    for table, on in joins:
        stmt = stmt.join(table, on)
    return session.scalar(stmt.where(*conds)) or 0


def offset_page(session: Session, stmt: Select, *, page: int, per_page: int, total: int) -> ListPage:
    """Page `page` (from 1) of an ordered statement, with the list's `total`."""
    rows = list(session.execute(stmt.offset((page - 1) * per_page).limit(per_page)).all())
    return ListPage(rows, total)


# --- keyset pagination ------------------------------------------------------------------------

# A sort is a list of (column, ascending); its last column is unique, so the values of one row name
# exactly one place in the order.
SortKeys = Sequence[tuple[Any, bool]]


def beyond(keys: SortKeys, values: Sequence, forward: bool) -> ColumnElement[bool]:
    """Rows strictly after (forward) or before the row whose sort values are `values`."""
    ors = []
    for i, (col, asc) in enumerate(keys):
        cmp = col > values[i] if asc == forward else col < values[i]
        ors.append(and_(*[keys[j][0] == values[j] for j in range(i)], cmp))
    return or_(*ors)


def keyset_page(
    session: Session,
    stmt: Select,
    keys: SortKeys,
    *,
    limit: int,
    after: Sequence | None = None,
    before: Sequence | None = None,
    offset: int = 0,
) -> ListPage:
    """Up to `limit` rows of `stmt` in the order of `keys`: those after the row `after`, or the page
    before the row `before` (returned in order), or from `offset` when neither is given. Fast at any
    depth on indexed keys; `more` tells whether rows follow beyond the page in its direction."""
    forward = before is None
    order = [(col.asc() if asc == forward else col.desc()) for col, asc in keys]
    stmt = stmt.order_by(*order).limit(limit + 1)
    if after is not None:
        stmt = stmt.where(beyond(keys, after, True))
    elif before is not None:
        stmt = stmt.where(beyond(keys, before, False))
    elif offset:
        stmt = stmt.offset(offset)
    rows = list(session.execute(stmt).all())
    more = len(rows) > limit
    rows = rows[:limit]
    if not forward:
        rows.reverse()
    return ListPage(rows, more=more)


def sort_values(row, keys: SortKeys) -> list:
    """The sort values of a row whose first element is the entity the keys' columns belong to."""
    entity = row[0]
    return [getattr(entity, col.key) for col, _asc in keys]
