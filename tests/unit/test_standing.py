"""registry.services.standing: the one rule for a recruiter's status (validity applied as of a date),
set-based on both databases, and the facts every surface shows beside it."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import event, select
from sqlmodel import Session

from registry.errors import Conflict
from registry.models import Accreditation, FeeReport, OutboxMessage, Recruiter, SupplierLink
from registry.models.accreditation import AccreditationStatus
from registry.models.recruiters import LicenceStatus
from registry.services import (
    accreditation,
    auditlog,
    audits,
    certificates,
    companies,
    fees,
    reports,
    standing,
    verification,
)
from registry.timeutil import add_years, today, utcnow
from tests import factories

TODAY = today()
YESTERDAY = TODAY - timedelta(days=1)


@contextmanager
def statements(engine):
    """The queries run meanwhile (SELECTs; a BEGIN on SQLite is not a query)."""
    seen: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", before)


def lapse(session: Session, rec: Recruiter, valid_until: date = YESTERDAY) -> Accreditation:
    """Time has passed: the accreditation's last valid day is `valid_until`; no check has run."""
    auditlog.set_actor(session, "test")
    acc = session.get(Accreditation, rec.id)
    acc.valid_until = valid_until
    session.commit()
    return acc


# --- the rule ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("recorded", "valid_until", "expected"),
    [
        ("accredited", TODAY + timedelta(days=1), "accredited"),
        ("accredited", TODAY, "accredited"),  # the last valid day is still valid
        ("accredited", YESTERDAY, "expired"),
        ("accredited", None, "accredited"),
        ("suspended", YESTERDAY, "suspended"),  # only an accreditation lapses
        ("expired", YESTERDAY, "expired"),
        ("withdrawn", None, "withdrawn"),
        ("rejected", None, "rejected"),
        ("applicant", None, "applicant"),
        (None, None, "applicant"),  # registered without an accreditation record yet
    ],
)
def test_status_rule(recorded, valid_until, expected):
    assert standing.status_of(recorded, valid_until, TODAY) == expected


def test_constants_are_the_model_enums():
    assert set(standing.BAD_LICENCE) == set(LicenceStatus) - {LicenceStatus.valid, LicenceStatus.unknown}
    assert set(standing.NOT_ACCREDITED) == set(AccreditationStatus) - {
        AccreditationStatus.applicant,
        AccreditationStatus.accredited,
    }
    assert standing.lapsed_at(YESTERDAY) == datetime.combine(TODAY, datetime.min.time(), tzinfo=UTC)


# --- accredited, valid_until yesterday, check not yet run ------------------------------------------


def test_lapsed_accreditation_reads_expired_at_every_depth(session):
    rec = factories.accredited(session, name="Lapsing Placement Pvt. Ltd.")
    session.commit()
    assert standing.standing_of(session, rec.id, as_of=TODAY).status == "accredited"
    acc = lapse(session, rec)
    assert acc.status == "accredited" and acc.certificate_number  # the record: not yet checked

    st = standing.standing_of(session, rec.id, as_of=TODAY)
    assert (st.status, st.recorded_status, st.lapsed, st.accredited) == ("expired", "accredited", True, False)
    assert st.since == standing.lapsed_at(YESTERDAY) and st.since_date == TODAY
    assert st.valid_until == YESTERDAY and st.certificate_number is None
    assert "accreditation_expired" in st.risks
    # the day before, the same record read accredited, with its certificate
    before = standing.standing_of(session, rec.id, as_of=YESTERDAY)
    assert before.status == "accredited" and before.certificate_number == acc.certificate_number

    assert standing.standing_of_many(session, [rec.id], as_of=TODAY)[rec.id].status == "expired"
    assert standing.summaries_of(session, [rec.id], as_of=TODAY)[rec.id].status == "expired"
    assert standing.summary_by_public_id(session, rec.public_id.lower(), as_of=TODAY).status == "expired"
    assert standing.verdicts_of(session, [rec.id], as_of=TODAY)[rec.id].status == "expired"
    assert standing.verdict_of(acc, rec.licence_status, as_of=TODAY).status == "expired"
    assert verification.summaries(session, [rec.id])[rec.id]["status"] == "expired"
    assert verification.verify_ids(session, [rec.public_id])[0]["status"] == "expired"
    assert verification.verify_licences(session, [("NP", rec.licence_number)])[0]["status"] == "expired"
    with pytest.raises(Conflict, match="no certificate is issued for an expired accreditation"):
        certificates.for_recruiter(session, rec, bot_username="bot", public_base_url="http://x")

    # the status at a past moment follows the same rule
    acc_at = utcnow()
    assert standing.status_at(session, rec.id, acc_at)["status"] == "expired"
    assert auditlog.status_at(session, rec.id, acc_at)["status"] == "accredited"  # the raw replay


def test_status_filter_agrees_with_the_rule(session):
    """The SQL condition (API list filter) selects exactly the recruiters the rule gives that status."""
    recs = {
        "accredited": factories.accredited(session),
        "lapsed": factories.accredited(session),
        "suspended": factories.accredited(session),
        "applicant": factories.recruiter(session),
    }
    accreditation.decide(session, recs["suspended"], "suspend", actor="test", reason="finding overdue")
    bare = Recruiter(public_id="RA-BARE2", legal_name="Bare Registration Ltd.", country="NP")
    session.add(bare)
    session.commit()
    recs["bare"] = bare
    lapse(session, recs["lapsed"])
    ids = [r.id for r in recs.values()]
    verdicts = standing.verdicts_of(session, ids, as_of=TODAY)
    assert verdicts[bare.id].status == "applicant" and verdicts[bare.id].since is not None
    assert verdicts[bare.id].licence_status == "unknown"
    for status in AccreditationStatus:
        selected = set(
            session.scalars(
                select(Recruiter.id)
                .outerjoin(Accreditation, Accreditation.recruiter_id == Recruiter.id)
                .where(Recruiter.id.in_(ids), standing.status_filter(status, TODAY))
            )
        )
        assert selected == {rid for rid, v in verdicts.items() if v.status == status}, status


# --- set-based, with every fact a surface shows -----------------------------------------------------


def test_standing_of_many_is_one_statement_with_every_fact(engine, session, settings):
    head = factories.accredited(session, name="Head Office Manpower Pvt. Ltd.", corridors=(("NP", "QA"),))
    sub = factories.recruiter(
        session, name="Branch Broker Services", corridors=(("NP", "MY"), ("NP", "AE"), ("IN", "AE"))
    )
    sub.parent_id = head.id
    audit = audits.plan(session, head, kind="special", planned_date=TODAY, actor="test")
    audits.record_outcome(session, audit, performed_date=TODAY, outcome="nonconforming")
    audits.add_finding(session, audit, principle="P1", severity="major", description="fees charged")
    others = [factories.recruiter(session, name=f"Plain Agency {i}") for i in range(20)]
    session.commit()
    fx = fees.fx_table(str(settings.fx_rates_path))
    for i in range(3):
        data = fees.ReportInput(
            category="recruitment_fee",
            amount="500",
            currency="USD",
            paid_on=YESTERDAY,
            destination_country="QA",
            origin_country="NP",
            recruiter_id=head.id,
            consent=True,
        )
        reports.submit(session, data, reporter_key=f"k{i}", submission_key=f"standing:{i}", fx=fx)
    session.commit()
    report = session.scalars(select(FeeReport).where(FeeReport.recruiter_id == head.id)).first()
    report.triage_status = "substantiated"
    session.commit()

    ids = [head.id, sub.id, *(r.id for r in others), 10**9]
    with statements(engine) as seen:
        found = standing.standing_of_many(session, ids, as_of=TODAY)
    assert len(seen) == 1 and len(found) == 22  # the unknown id is left out
    h, s = found[head.id], found[sub.id]
    assert (h.status, h.last_audit, h.open_major_findings, h.substantiated_reports) == (
        "accredited",
        TODAY,
        1,
        1,
    )
    assert h.fee_signal_level == "high" and h.corridors == (("NP", "QA"),) and h.parent is None
    assert h.warnings == ("licence_unknown", "open_major", "fee_reports")
    assert h.risks == ("open_major_findings", "fee_signal_high")
    assert h.certificate_number and h.valid_from == TODAY and h.valid_until > TODAY
    assert s.status == "applicant" and s.last_audit is None and s.fee_signal_level == "none"
    assert s.corridors == (("IN", "AE"), ("NP", "AE"), ("NP", "MY"))
    assert s.parent == standing.Party(head.public_id, head.legal_name)
    assert s.warnings == ("licence_unknown", "sub_agent") and s.risks == ("not_accredited",)

    # the summary (companies) is the same verdict without the card's facts
    with statements(engine) as seen:
        summaries = standing.summaries_of(session, ids, as_of=TODAY)
    assert len(seen) == 1
    for rid, st in found.items():
        summary = summaries[rid]
        assert (summary.status, summary.since, summary.risks, summary.fee_signal_level) == (
            st.status,
            st.since,
            st.risks,
            st.fee_signal_level,
        )
    # one recruiter: one statement too
    with statements(engine) as seen:
        assert standing.standing_of(session, sub.id, as_of=TODAY) == s
    assert len(seen) == 1
    assert standing.standing_of(session, 10**9, as_of=TODAY) is None
    assert standing.summary_by_public_id(session, "RA-NONE2", as_of=TODAY) is None
    assert standing.summary_by_public_id(session, "RA-\x00", as_of=TODAY) is None

    # bad licences warn; the fee window counts from as_of
    head.licence_status = "banned"
    session.commit()
    later = standing.standing_of(session, head.id, as_of=TODAY + timedelta(days=400))
    assert later.warnings[0] == "licence_bad" and "licence_banned" in later.risks
    assert (
        later.fee_signal_level == "none" and later.substantiated_reports == 1
    )  # out of the window, not forgotten


def test_certificate_only_while_really_accredited(session):
    rec = factories.accredited(session)
    session.commit()
    cert = certificates.for_recruiter(session, rec, bot_username="bot", public_base_url="http://x")
    assert cert.number == standing.standing_of(session, rec.id, as_of=TODAY).certificate_number
    accreditation.decide(session, rec, "suspend", actor="test", reason="finding overdue")
    session.commit()
    st = standing.standing_of(session, rec.id, as_of=TODAY)
    assert st.status == "suspended" and st.certificate_number is None
    assert session.get(Accreditation, rec.id).certificate_number  # kept for a reinstatement
    with pytest.raises(Conflict, match="is suspended"):
        certificates.for_recruiter(session, rec, bot_username="bot", public_base_url="http://x")


def test_status_change_events_carry_the_standing(session):
    rec = factories.recruiter(session)
    company, _ = companies.get_or_create(session, "Standing Buyer Ltd")
    session.add(SupplierLink(company_id=company.id, recruiter_id=rec.id))
    companies.create_webhook(session, company, url="https://hooks.example.com/fr")
    session.flush()
    factories.performed_audit(session, rec)
    # accredited on a cycle that ended yesterday (a decision recorded late): the event says expired
    accreditation.decide(
        session,
        rec,
        "accredit",
        actor="test",
        reason="initial audit",
        valid_from=add_years(YESTERDAY, -3),
    )
    session.commit()
    data = session.scalars(select(OutboxMessage.payload).order_by(OutboxMessage.id.desc())).first()["data"]
    assert data["to"] == "accredited" and data["status"] == "expired"
    assert data["valid_until"] == session.get(Accreditation, rec.id).valid_until.isoformat()
    assert data["licence_status"] == "unknown"
