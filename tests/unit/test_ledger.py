"""The repayment ledger adds up: claimed → verified → repaid in the report's currency, each stage capped
by the one before (cumulatively, reversals subtracting), append-only with reversing entries, and totals
per report and per recruiter in the original currencies and in USD. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from registry.errors import Conflict, DomainError, InvalidInput
from registry.models import AuditLogEntry, RepaymentEntry
from registry.services import auditlog, fees, ledger, reports
from registry.services.fees import ReportInput
from registry.settings import CONFIG_DIR
from registry.timeutil import today
from tests import factories

FX = fees.fx_table(str(CONFIG_DIR / "fx_rates.csv"))
PAID = date(2025, 3, 1)


def report(s, rec, *, amount="56180", currency="NPR", key="l1", status="substantiated"):
    rep, _ = reports.submit(
        s,
        ReportInput(
            category="recruitment_fee",
            amount=amount,
            currency=currency,
            paid_on=PAID,
            destination_country="QA",
            origin_country="NP",
            recruiter_id=rec.id if rec else None,
            recruiter_text="" if rec else "Unknown Agency",
            consent=True,
        ),
        reporter_key="r" * 64,
        submission_key=key,
        fx=FX,
    )
    if status != "new":
        reports.triage(s, rep, status=status, note="checked", actor="auditor@example.org")
    return rep


@pytest.fixture
def case(session):
    auditlog.set_actor(session, "auditor@example.org")
    rec = factories.accredited(session, name="Ledgerfield Manpower Pvt. Ltd.")
    return rec, report(session, rec)


def add(s, rep, state, amount, **kw):
    kw.setdefault("currency", rep.currency)
    kw.setdefault("on_date", today())
    return ledger.add_entry(s, rep, state=state, amount=amount, actor="auditor@example.org", **kw)


def count(s) -> int:
    return s.scalar(select(func.count()).select_from(RepaymentEntry))


def refused(s, code: str, fn, *args, **kw) -> DomainError:
    """`fn` is refused with `code` and writes no ledger entry."""
    before = count(s)
    with pytest.raises(DomainError) as e, s.begin_nested():
        fn(*args, **kw)
    assert e.value.code == code, e.value
    assert count(s) == before
    return e.value


def test_claimed_cannot_exceed_what_the_report_says_was_paid(session, case):
    _rec, rep = case
    err = refused(session, "claim_exceeds_report", add, session, rep, "claimed", "99999999")
    assert isinstance(err, Conflict) and err.params == {
        "state": "claimed",
        "total": "99999999.00",
        "max": "56180.00",
        "currency": "NPR",
    }
    add(session, rep, "claimed", "50000")
    # cumulatively: a second claim past the reported amount is refused too
    refused(session, "claim_exceeds_report", add, session, rep, "claimed", "6180.01")
    add(session, rep, "claimed", "6180")
    assert ledger.balances(session, rep.id)["claimed"] == Decimal("56180.00")


def test_nothing_is_verified_before_it_is_claimed_nor_repaid_before_it_is_verified(session, case):
    _rec, rep = case
    # "repaid" three times with nothing claimed: the first is refused already
    refused(session, "repaid_exceeds_verified", add, session, rep, "repaid", "1000")
    refused(session, "verified_exceeds_claimed", add, session, rep, "verified", "1000")
    add(session, rep, "claimed", "30000")
    refused(session, "verified_exceeds_claimed", add, session, rep, "verified", "30000.01")
    add(session, rep, "verified", "20000")
    refused(session, "repaid_exceeds_verified", add, session, rep, "repaid", "20000.01")
    add(session, rep, "repaid", "15000")
    add(session, rep, "repaid", "5000")
    refused(session, "repaid_exceeds_verified", add, session, rep, "repaid", "0.01")
    assert ledger.balances(session, rep.id) == {
        "claimed": Decimal("30000.00"),
        "verified": Decimal("20000.00"),
        "repaid": Decimal("20000.00"),
    }


def test_entries_are_in_the_report_currency_with_sane_amounts_and_dates(session, case):
    _rec, rep = case
    err = refused(session, "ledger_currency_mismatch", add, session, rep, "claimed", "100", currency="USD")
    assert isinstance(err, InvalidInput) and err.params == {"currency": "USD", "expected": "NPR"}
    refused(session, "unknown_currency", add, session, rep, "claimed", "100", currency="XXY")
    refused(session, "amount_too_small", add, session, rep, "claimed", "0")
    refused(session, "amount_not_a_number", add, session, rep, "claimed", "lots")
    refused(session, "unknown_repayment_state", add, session, rep, "promised", "100")
    refused(
        session, "date_in_future", add, session, rep, "claimed", "100", on_date=today() + timedelta(days=1)
    )
    refused(
        session, "date_before_payment", add, session, rep, "claimed", "100", on_date=PAID - timedelta(days=1)
    )
    refused(session, "date_required", add, session, rep, "claimed", "100", on_date=None)
    entry = add(session, rep, "claimed", "100", currency="npr", on_date=PAID)
    assert (entry.currency, entry.amount, entry.kind) == ("NPR", Decimal("100.00"), "entry")


@pytest.mark.parametrize("status", ["new", "unsubstantiated", "duplicate", "out_of_scope"])
def test_only_a_substantiated_report_takes_new_entries(session, status):
    auditlog.set_actor(session, "auditor@example.org")
    rec = factories.accredited(session)
    rep = report(session, rec, status=status)
    err = refused(session, "report_not_substantiated", add, session, rep, "claimed", "100")
    assert err.params["status"] == status


def test_a_wrong_entry_is_reversed_with_a_reason_never_edited(session, case):
    _rec, rep = case
    wrong = add(session, rep, "claimed", "56000", note="typo: should be 5,600")
    refused(session, "reason_required", ledger.reverse, session, rep, wrong, reason="  ", actor="a@x.org")
    rev = ledger.reverse(session, rep, wrong, reason="amount typed wrong", actor="auditor@example.org")
    assert (rev.kind, rev.reverses_id, rev.state, rev.amount, rev.currency, rev.reason) == (
        "reversal",
        wrong.id,
        "claimed",
        Decimal("56000.00"),
        "NPR",
        "amount typed wrong",
    )
    assert rev.on_date == today()
    # the wrong entry is still there, as it was
    session.refresh(wrong)
    assert (wrong.kind, wrong.amount, wrong.note) == ("entry", Decimal("56000.00"), "typo: should be 5,600")
    assert ledger.balances(session, rep.id)["claimed"] == Decimal("0.00")
    # reversed once only, and a reversal is not reversed
    refused(session, "already_reversed", ledger.reverse, session, rep, wrong, reason="again", actor="a@x.org")
    refused(
        session, "cannot_reverse_reversal", ledger.reverse, session, rep, rev, reason="undo", actor="a@x.org"
    )
    # the right amount can now be entered; the cap counts the reversal
    add(session, rep, "claimed", "5600")
    add(session, rep, "claimed", "50580")
    refused(session, "claim_exceeds_report", add, session, rep, "claimed", "0.01")
    assert ledger.reversed_ids(ledger.entries(session, rep.id)) == {wrong.id: rev.id}


def test_a_reversal_that_would_break_the_order_is_refused(session, case):
    _rec, rep = case
    claimed = add(session, rep, "claimed", "10000")
    verified = add(session, rep, "verified", "10000")
    repaid = add(session, rep, "repaid", "4000")
    err = refused(
        session, "reversal_breaks_order", ledger.reverse, session, rep, claimed, reason="x", actor="a"
    )
    assert err.params == {"state": "claimed", "later": "verified", "entry": claimed.id}
    refused(session, "reversal_breaks_order", ledger.reverse, session, rep, verified, reason="x", actor="a")
    ledger.reverse(session, rep, repaid, reason="bank transfer bounced", actor="a")
    ledger.reverse(session, rep, verified, reason="receipt was for another worker", actor="a")
    ledger.reverse(session, rep, claimed, reason="claim withdrawn", actor="a")
    assert set(ledger.balances(session, rep.id).values()) == {Decimal("0.00")}


def test_an_entry_of_another_report_is_not_found(session, case):
    rec, rep = case
    other = report(session, rec, key="l2")
    entry = add(session, other, "claimed", "100")
    refused(session, "ledger_entry_not_found", ledger.get_entry, session, rep, entry.id)
    refused(session, "ledger_entry_not_found", ledger.reverse, session, rep, entry, reason="x", actor="a")


def test_reversals_stay_possible_after_the_decision_is_revised(session, case):
    _rec, rep = case
    entry = add(session, rep, "claimed", "1000")
    reports.revise_triage(session, rep, status="unsubstantiated", reason="receipt forged", actor="a@x.org")
    refused(session, "report_not_substantiated", add, session, rep, "claimed", "10")
    ledger.reverse(session, rep, entry, reason="report no longer substantiated", actor="a@x.org")
    assert ledger.balances(session, rep.id)["claimed"] == Decimal("0.00")


def test_every_entry_and_reversal_is_audit_logged(session, case):
    _rec, rep = case
    entry = add(session, rep, "claimed", "1000")
    ledger.reverse(session, rep, entry, reason="duplicate entry", actor="auditor@example.org")
    logged = [
        json.loads(e.data)
        for e in session.scalars(
            select(AuditLogEntry).where(AuditLogEntry.entity == "repayment").order_by(AuditLogEntry.seq)
        )
    ]
    assert [(d["kind"], d["state"], d["amount"], d["reverses_id"]) for d in logged] == [
        ("entry", "claimed", "1000.00", None),
        ("reversal", "claimed", "1000.00", entry.id),
    ]
    assert logged[1]["reason"] == "duplicate entry"
    assert auditlog.verify(session).ok


def test_report_totals_in_its_currency_and_in_usd(session, case):
    _rec, rep = case
    add(session, rep, "claimed", "56180")
    add(session, rep, "verified", "40000")
    wrong = add(session, rep, "repaid", "40000")
    ledger.reverse(session, rep, wrong, reason="not received", actor="a")
    add(session, rep, "repaid", "20000")
    t = ledger.report_totals(session, rep, FX)
    assert (t.currency, t.claimable) == ("NPR", Decimal("56180.00"))
    assert t.amounts == {
        "claimed": Decimal("56180.00"),
        "verified": Decimal("40000.00"),
        "repaid": Decimal("20000.00"),
    }
    # USD at the rate of the day paid: the same basis as the report's own USD value
    assert t.usd["claimed"] == rep.amount_usd == t.claimable_usd
    assert t.usd["repaid"] == FX.to_usd(Decimal("20000"), "NPR", PAID)
    assert t.usd_complete and Decimal(0) < t.usd["repaid"] < t.usd["verified"] < t.usd["claimed"]


def test_recruiter_totals_add_up_reports_in_their_own_currencies(session, case):
    rec, npr = case
    usd = report(session, rec, amount="900", currency="USD", key="l2")
    add(session, npr, "claimed", "56180")
    add(session, npr, "verified", "56180")
    add(session, npr, "repaid", "30000")
    add(session, usd, "claimed", "900")
    wrong = add(session, usd, "verified", "900")
    ledger.reverse(session, usd, wrong, reason="not checked yet", actor="a")
    other_rec = factories.accredited(session, name="Otherfield Manpower Pvt. Ltd.")
    add(session, report(session, other_rec, key="l3"), "claimed", "100")

    t = ledger.recruiter_totals(session, rec.id, FX)
    assert t.reports == 2
    assert t.by_currency == {
        "NPR": {
            "claimed": Decimal("56180.00"),
            "verified": Decimal("56180.00"),
            "repaid": Decimal("30000.00"),
        },
        "USD": {"claimed": Decimal("900.00"), "verified": Decimal("0.00"), "repaid": Decimal("0.00")},
    }
    npr_usd = FX.to_usd(Decimal("56180"), "NPR", PAID)
    assert t.usd == {
        "claimed": npr_usd + Decimal("900.00"),
        "verified": npr_usd,
        "repaid": FX.to_usd(Decimal("30000"), "NPR", PAID),
    }
    everyone = ledger.totals_by_recruiter(session, FX)
    assert [(pid, totals.reports) for pid, _name, totals in everyone] == sorted(
        [(rec.public_id, 2), (other_rec.public_id, 1)]
    )
    assert ledger.recruiter_totals(session, factories.recruiter(session).id, FX).reports == 0
