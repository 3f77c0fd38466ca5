"""Bulk verification and status summaries are set-based: a fixed number of statements, whatever
the number of inputs."""

from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event
from sqlmodel import Session

from registry.services import companies, verification
from tests import factories


@contextmanager
def count_statements(engine):
    seen: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", before)


def test_bulk_verify_runs_one_query_for_10000_inputs(engine):
    with Session(engine) as s:
        recs = [factories.recruiter(s, name=f"Setbased Agency {i}", licence=f"SB-{i}") for i in range(30)]
        s.commit()
        ids = [r.public_id for r in recs] * 300 + [f"RA-Z{i:04d}" for i in range(1000)]
        assert len(ids) == 10_000
        with count_statements(engine) as seen:
            results = verification.verify_ids(s, ids)
        selects = [q for q in seen if q.lstrip().upper().startswith("SELECT")]
        assert len(selects) <= 2, selects
        assert len(results) == 10_000 and sum(r["found"] for r in results) == 9_000
        with count_statements(engine) as seen:
            by_licence = verification.verify_licences(s, [("NP", f"sb-{i}") for i in range(30)] * 100)
        assert len([q for q in seen if q.lstrip().upper().startswith("SELECT")]) <= 2
        assert all(r["found"] for r in by_licence)
        with count_statements(engine) as seen:
            summary = verification.summaries(s, [r.id for r in recs])
        assert len(seen) <= 2 and len(summary) == 30
        with count_statements(engine) as seen:
            known = companies.recruiter_ids(s, ids)
        assert len(seen) <= 2 and len(known) == 30
