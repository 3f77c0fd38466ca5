"""SQL pieces shared by the compliance checks (registry.services.checks)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from sqlalchemy import String, cast, exists, literal_column, not_, select
from sqlmodel import Session, col

from registry.models import Alert, Recruiter


def _const(value: str):
    """An internal constant written into the SQL text (no bound parameter to expand on every run)."""
    if "'" in value or "\\" in value:
        raise ValueError(f"not a plain constant: {value!r}")
    return literal_column(f"'{value}'", String)


def _consts(values) -> list:
    return [_const(str(v)) for v in values]


def _key(*parts) -> object:
    """SQL expression 'a:b:c' built from literals and columns (portable: the || operator)."""
    expr = None
    for i, p in enumerate(parts):
        piece = p if hasattr(p, "compile") else _const(str(p))
        if not isinstance(p, str):
            piece = cast(p, String)
        if i:
            piece = _const(":").concat(piece)
        expr = piece if expr is None else expr.concat(piece)
    return expr


def _select(session: Session, stmt, params: dict | None = None):
    """Run a selection on the session's connection (Core rows; no ORM entity loading needed)."""
    return session.connection().execute(stmt, params or {})


def _no_alert(key_expr):
    return not_(exists().where(Alert.key == key_expr))


def _day_start(d: date) -> datetime:
    return datetime.combine(d, time.min, tzinfo=UTC)


def _recruiters(session: Session, ids) -> dict[int | None, Recruiter]:
    ids = sorted(set(ids))
    out: dict[int | None, Recruiter] = {}
    for i in range(0, len(ids), 900):
        chunk = ids[i : i + 900]
        out.update({r.id: r for r in session.scalars(select(Recruiter).where(col(Recruiter.id).in_(chunk)))})
    return out
