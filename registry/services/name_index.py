"""The process-wide index of every recruiter's names that `recruiters.search_recruiters` ranks with.

Built once per process from every recruiter's ``search_text`` (a web server builds it before it takes
requests: registry.wsgi, in gunicorn's master, so every worker forked from it has it), and brought up to
date when recruiters are added or renamed: from the changed rows only when the process has an index
already (a worker forked long after its master built one), from every row otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, or_, select
from sqlmodel import Session, col

from registry.models import Recruiter
from registry.services import search

_cache = search.CandidateCache()


# Two index-friendly aggregates in one statement: each a subquery of its own, so that both databases
# read each from its index (SQLite does so only for a statement with a single min/max).
_STAMP = select(
    select(func.max(Recruiter.id)).scalar_subquery(),
    select(func.max(Recruiter.updated_at)).scalar_subquery(),
)


def _stamp(session: Session):
    """Changes whenever a recruiter is added or renamed (cheap: one statement, two index lookups)."""
    return tuple(session.execute(_STAMP).one())


def _load_candidates(session: Session):
    return session.execute(select(col(Recruiter.id), col(Recruiter.search_text))).all()


def _changed_candidates(session: Session, since) -> Sequence | None:
    """Recruiters added or renamed since the stamp `since` (None: cannot tell, load them all). Strictly
    later than the stamp's time: rows written in one bulk load share theirs, and are in the index."""
    max_id, max_updated = since
    if max_id is None or max_updated is None:
        return None
    return session.execute(
        select(col(Recruiter.id), col(Recruiter.search_text)).where(
            or_(col(Recruiter.id) > max_id, col(Recruiter.updated_at) > max_updated)
        )
    ).all()


def current(session: Session) -> search.Index:
    """The index as of now, keyed by recruiter id."""
    return _cache.get(
        _stamp(session), lambda: _load_candidates(session), lambda since: _changed_candidates(session, since)
    )


def warm(session: Session) -> int:
    """Build the index now, so that no visitor's query waits for it; the number of recruiters indexed."""
    return len(current(session))
