"""A report with several fees keeps each line with its USD value; the report's own amount is the total;
the admin report page lists the lines."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlmodel import Session

from registry.services import auditlog, fees, reports
from registry.services.fees import ReportInput, ReportLine
from registry.settings import CONFIG_DIR
from tests import factories


def submit(s, rec, lines):
    fx = fees.fx_table(str(CONFIG_DIR / "fx_rates.csv"))
    data = ReportInput(
        category=lines[0].category,
        amount=lines[0].amount,
        currency=lines[0].currency,
        paid_on=date(2024, 3, 15),
        destination_country="QA",
        origin_country="NP",
        recruiter_id=rec.id,
        consent=True,
        lines=lines,
    )
    report, _created = reports.submit(s, data, reporter_key="k" * 64, submission_key=f"t:{len(lines)}", fx=fx)
    return report


def test_lines_in_one_currency_add_up_and_are_listed(as_auditor, engine):
    with Session(engine, expire_on_commit=False) as s:
        auditlog.set_actor(s, "test")
        rec = factories.accredited(s, name="Linefield Manpower Pvt. Ltd.")
        rep = submit(
            s,
            rec,
            [ReportLine("recruitment_fee", "150000", "NPR"), ReportLine("medical", "8000", "NPR")],
        )
        s.commit()
        lines = reports.lines_of(s, rep)
    assert [(x.category, x.amount, x.currency) for x in lines] == [
        ("recruitment_fee", Decimal("150000.00"), "NPR"),
        ("medical", Decimal("8000.00"), "NPR"),
    ]
    assert [x.amount_usd for x in lines] == [Decimal("1128.00"), Decimal("60.16")]  # 2024 rate 0.00752
    assert (rep.amount, rep.currency, rep.amount_usd, rep.category) == (
        Decimal("158000.00"),
        "NPR",
        Decimal("1188.16"),
        "recruitment_fee",
    )
    page = as_auditor.get(f"/admin/reports/{rep.id}").get_data(as_text=True)
    assert 'recruitment fee</td><td class="num">150000.00 NPR' in page
    assert 'medical</td><td class="num">8000.00 NPR' in page
    assert "158000.00 NPR ≈ USD 1188.16" in page


def test_lines_in_several_currencies_total_in_usd(engine):
    with Session(engine, expire_on_commit=False) as s:
        auditlog.set_actor(s, "test")
        rec = factories.accredited(s, name="Mixfield Manpower Pvt. Ltd.")
        rep = submit(
            s, rec, [ReportLine("recruitment_fee", "1000", "USD"), ReportLine("medical", "1000", "QAR")]
        )
        s.commit()
    assert (rep.amount, rep.currency, rep.amount_usd) == (Decimal("1274.70"), "USD", Decimal("1274.70"))


def test_a_line_out_of_bounds_refuses_the_report(engine):
    import pytest

    from registry.errors import InvalidInput

    with Session(engine, expire_on_commit=False) as s:
        auditlog.set_actor(s, "test")
        rec = factories.accredited(s, name="Boundfield Manpower Pvt. Ltd.")
        with pytest.raises(InvalidInput) as e:
            submit(s, rec, [ReportLine("medical", "10", "USD"), ReportLine("other", "500000", "USD")])
    assert e.value.code == "amount_too_large"
