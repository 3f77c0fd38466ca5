"""Unit-of-work guarantees of registry.db on both databases."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from registry.db import session_scope
from registry.models import FeeReport
from registry.services import fees, reports
from registry.settings import CONFIG_DIR
from tests import factories


def _report(session, rec, key):
    return reports.submit(
        session,
        fees.ReportInput(
            category="medical",
            amount="120",
            currency="NPR",
            paid_on=date(2025, 3, 1),
            destination_country="QA",
            origin_country="NP",
            recruiter_id=rec.id,
            consent=True,
        ),
        reporter_key="k" * 64,
        submission_key=key,
        fx=fees.fx_table(str(CONFIG_DIR / "fx_rates.csv")),
    )


def test_savepoint_does_not_commit_the_outer_transaction(engine):
    """A service's savepoint (begin_nested) must not make its writes permanent before the edge commits."""
    with session_scope(engine) as session:
        rec = factories.recruiter(session)
    from sqlmodel import Session

    with Session(engine) as s:
        report, created = _report(s, rec, "sp-1")
        assert created
        s.rollback()
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(FeeReport)) == 0


def test_write_session_commits_once(engine):
    with session_scope(engine) as session:
        rec = factories.recruiter(session)
    with session_scope(engine, write=True) as s:
        _report(s, rec, "sp-2")
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(FeeReport)) == 1
