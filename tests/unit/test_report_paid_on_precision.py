"""A fee report keeps how much of the date paid was given: a day, or a month and year only."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session

from registry.db import session_scope
from registry.errors import InvalidInput
from registry.models import FeeReport
from registry.services import fees, reports
from registry.settings import CONFIG_DIR
from tests import factories

FX = fees.fx_table(str(CONFIG_DIR / "fx_rates.csv"))


def _data(paid_on, precision, rec_id):
    return fees.ReportInput(
        category="medical",
        amount="1200",
        currency="NPR",
        paid_on=paid_on,
        paid_on_precision=precision,
        destination_country="QA",
        origin_country="NP",
        recruiter_id=rec_id,
        consent=True,
    )


def test_month_precision_is_stored_on_the_first_of_the_month(engine):
    with session_scope(engine) as s:
        rec = factories.recruiter(s)
        month, _ = reports.submit(
            s, _data(date(2025, 3, 17), "month", rec.id), reporter_key=None, submission_key="m", fx=FX
        )
        day, _ = reports.submit(
            s, _data(date(2025, 3, 17), "day", rec.id), reporter_key=None, submission_key="d", fx=FX
        )
        unknown, _ = reports.submit(
            s, _data(None, "month", rec.id), reporter_key=None, submission_key="u", fx=FX
        )
        ids = month.id, day.id, unknown.id
    with Session(engine) as s:
        got = [(r.paid_on, r.paid_on_precision) for r in (s.get(FeeReport, i) for i in ids)]
    assert got == [(date(2025, 3, 1), "month"), (date(2025, 3, 17), "day"), (None, "day")]


def test_an_unknown_precision_is_refused(engine):
    with session_scope(engine) as s:
        rec = factories.recruiter(s)
        with pytest.raises(InvalidInput) as e:
            reports.submit(
                s, _data(date(2025, 3, 1), "week", rec.id), reporter_key=None, submission_key="w", fx=FX
            )
    assert (e.value.code, e.value.field) == ("unknown_date_precision", "paid_on")
