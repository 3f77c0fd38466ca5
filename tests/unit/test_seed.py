"""Seed data: the demo set and bulk volume, checked against the real rules (state machine, audit log)."""

from __future__ import annotations

import csv
import json
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from registry.db import session_scope
from registry.errors import Conflict, InvalidInput
from registry.models import (
    Accreditation,
    AccreditationEvent,
    AccreditationStatus,
    Audit,
    AuditLogEntry,
    Corridor,
    FeeReport,
    FeeReportLine,
    Finding,
    Recruiter,
    User,
)
from registry.seed import data, demo, volume
from registry.services import accreditation, auditlog, companies, fees, reports, search, users
from registry.services.identifiers import licence_key
from registry.settings import CONFIG_DIR
from registry.timeutil import utcnow
from tests import factories
from tests.conftest import DATA_DIR

FX = fees.fx_table(str(CONFIG_DIR / "fx_rates.csv"))
KEY = "test-pseudonym-key-0123456789"
ALL_STATES = {s.value for s in AccreditationStatus}


def _replays_match(session: Session) -> int:
    """Every recruiter's stored state equals a replay of its recorded history (returns how many)."""
    events: dict[int, list[tuple[str | None, str]]] = {}
    for rid, frm, to in session.execute(
        select(
            AccreditationEvent.recruiter_id, AccreditationEvent.from_status, AccreditationEvent.to_status
        ).order_by(AccreditationEvent.at, AccreditationEvent.id)
    ):
        events.setdefault(rid, []).append((frm, to))
    stored = dict(session.execute(select(Accreditation.recruiter_id, Accreditation.status)).all())
    assert set(stored) == set(events)
    for rid, status in stored.items():
        assert accreditation.replay(events[rid]) == status, rid
    return len(stored)


def _load_demo(engine) -> demo.DemoResult:
    with session_scope(engine) as session:
        return demo.build(session, pseudonym_key=KEY, fx=FX)


def test_demo_set_is_realistic_and_consistent(engine):
    res = _load_demo(engine)
    with Session(engine) as session:
        n = session.scalar(select(func.count()).select_from(Recruiter))
        assert n == res.recruiters and 45 <= n <= 60
        states = dict(
            session.execute(select(Accreditation.status, func.count()).group_by(Accreditation.status)).all()
        )
        assert set(states) == ALL_STATES, states
        assert _replays_match(session) == n
        # Real corridors: the main origin countries to the Gulf states, Malaysia and Thailand.
        corridors = set(session.execute(select(Corridor.origin, Corridor.destination)).all())
        origins = {o for o, _d in corridors}
        assert {"NP", "BD", "PH", "ID", "IN", "MM"} <= origins
        assert {("NP", "QA"), ("BD", "SA"), ("MM", "TH"), ("ID", "MY")} <= corridors
        # Audits, findings (open and closed, every severity), fee reports with triage outcomes.
        assert (
            session.scalar(select(func.count()).select_from(Audit).where(Audit.performed_date.is_not(None)))
            >= 40
        )
        severities = Counter(session.scalars(select(Finding.severity)))
        assert set(severities) == {"major", "minor", "observation"}
        assert (
            session.scalar(select(func.count()).select_from(Finding).where(Finding.closed_at.is_not(None)))
            >= 3
        )
        triage = Counter(session.scalars(select(FeeReport.triage_status)))
        assert {"new", "substantiated", "unsubstantiated", "duplicate", "out_of_scope"} <= set(triage)
        assert sum(triage.values()) == res.reports >= 25
        # Every substantiated report became a major P1 finding; every suspension names its evidence.
        subst = session.scalars(select(FeeReport.id).where(FeeReport.triage_status == "substantiated")).all()
        p1 = session.scalars(
            select(Finding.report_id).where(
                Finding.principle == "P1", Finding.severity == "major", Finding.report_id.is_not(None)
            )
        ).all()
        assert set(subst) <= set(p1)
        for ev in session.scalars(
            select(AccreditationEvent).where(AccreditationEvent.to_status == "suspended")
        ):
            assert ev.audit_id or ev.report_id, ev
            assert ev.actor and ev.reason
        # A fee signal: a recruiter with at least 3 independent reporters within 180 days.
        since = utcnow() - timedelta(days=180)
        per_rec = session.execute(
            select(FeeReport.recruiter_id, func.count(func.distinct(FeeReport.reporter_key)))
            .where(FeeReport.created_at >= since, FeeReport.recruiter_id.is_not(None))
            .group_by(FeeReport.recruiter_id)
        ).all()
        assert max(c for _r, c in per_rec) >= 3
        # Reporters are pseudonymous keys, never raw chat ids.
        keys = set(session.scalars(select(FeeReport.reporter_key)))
        assert all(k and len(k) == 64 for k in keys)
        # The demo company's key works; the demo admin can log in with the printed password.
        assert companies.authenticate(session, res.api_key) is not None
        admin = users.by_email(session, data.DEMO_ADMIN_EMAIL)
        assert admin.role == "admin" and users.check_password(admin, res.admin_password)
        # Everything went through the services: the audit log is complete and intact.
        result = auditlog.verify(session)
        assert result.ok, str(result)
        logged = set(session.scalars(select(AuditLogEntry.entity).distinct()))
        assert {
            "recruiter",
            "accreditation",
            "accreditation_event",
            "audit",
            "finding",
            "fee_report",
            "company",
            "api_key",
            "user",
        } <= logged
        # The audit log answers "status at time T" for every demo recruiter.
        rec = session.scalars(
            select(Recruiter).join(Accreditation).where(Accreditation.status == "suspended")
        ).first()
        assert auditlog.status_at(session, rec.id, utcnow())["status"] == "suspended"


def test_demo_refuses_a_non_empty_registry(engine):
    with session_scope(engine) as session:
        factories.recruiter(session)
    with pytest.raises(Conflict), session_scope(engine) as session:
        demo.build(session, pseudonym_key=KEY, fx=FX)
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(User)) == 0


def _register_names_and_licences():
    names, licences = set(), set()
    for path in (DATA_DIR / "registers").glob("*.csv"):
        with open(path, newline="", encoding="utf-8") as f:
            for row in csv.DictReader(f):
                for col in ("agency_name", "name", "english_name"):
                    if row.get(col):
                        names.add(search.normalize(row[col]))
                for col in ("rl_no", "licence_no"):
                    if row.get(col):
                        licences.add(licence_key(row[col]))
    return names, licences


def test_demo_and_generated_names_are_invented():
    """No real agency gets an invented accreditation state: names and licence numbers differ from the registers."""
    names, licences = _register_names_and_licences()
    assert len(names) > 1000  # the real extracts were read
    demo_names = {search.normalize(n) for n in data.iter_demo_names()}
    assert not demo_names & names
    generated = {
        search.normalize(f"{a} {b} {s}")
        for a in data.NAME_A
        for b in data.NAME_B
        for s in data.NAME_SUFFIX.values()
    }
    assert not generated & names
    demo_licences = {licence_key(data.licence_number(c, i)) for i in range(1, 60) for c in data.AUTHORITIES}
    assert not demo_licences & licences


def test_bulk_generates_consistent_volume(engine):
    res = volume.load(engine, recruiters=150, reports=900, pseudonym_key=KEY, fx=FX, seed=5, batch=40)
    assert (res.recruiters, res.reports) == (150, 900)
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Recruiter)) == 150
        assert session.scalar(select(func.count()).select_from(FeeReport)) == 900
        assert session.scalar(select(func.count()).select_from(Corridor)) == res.corridors
        assert session.scalar(select(func.count()).select_from(Audit)) == res.audits
        states = set(session.scalars(select(Accreditation.status).distinct()))
        assert states == ALL_STATES
        assert _replays_match(session) == 150
        # Accredited ones have a performed audit behind the decision and a validity window.
        for acc in session.scalars(select(Accreditation).where(Accreditation.status == "accredited")):
            assert acc.valid_until > acc.valid_from and acc.certificate_number
            assert accreditation.latest_performed_audit(session, acc.recruiter_id) is not None
        for acc in session.scalars(select(Accreditation).where(Accreditation.status == "expired")):
            assert acc.valid_until < utcnow().date()
        # Amounts converted with the shipped rate table.
        r = session.scalars(select(FeeReport).where(FeeReport.currency != "USD").limit(1)).one()
        assert r.amount_usd == FX.to_usd(r.amount, r.currency, r.paid_on)
        # Each report has its one fee line, with the same amount.
        [line] = reports.lines_of(session, r)
        assert (line.category, line.amount, line.currency, line.amount_usd) == (
            r.category,
            r.amount,
            r.currency,
            r.amount_usd,
        )
        assert session.scalar(select(func.count()).select_from(FeeReportLine)) == 900
        # One audit-log entry per row written (and one per accreditation move), all chained.
        n_log = session.scalar(select(func.count()).select_from(AuditLogEntry))
        n_updates = session.scalar(select(func.count()).select_from(AccreditationEvent)) - 150
        assert n_log == res.log_entries == 150 * 2 + res.corridors + res.audits + res.events + 900 + n_updates
        result = auditlog.verify(session)
        assert result.ok, str(result)
        expired = session.scalars(
            select(Accreditation.recruiter_id).where(Accreditation.status == "expired")
        ).first()
        assert auditlog.status_at(session, expired, utcnow())["status"] == "expired"


def test_bulk_log_entries_look_like_the_hook(engine):
    """Bulk entries carry the same fields as the entries the after_flush hook writes for the same tables."""
    volume.load(engine, recruiters=5, reports=5, pseudonym_key=KEY, fx=FX, seed=1)
    with session_scope(engine) as session:
        rec = factories.accredited(session)
        reports.submit(
            session,
            fees.ReportInput(
                category="medical",
                amount="100",
                currency="NPR",
                paid_on=utcnow().date(),
                destination_country="QA",
                recruiter_id=rec.id,
                consent=True,
            ),
            reporter_key="k" * 64,
            submission_key="hook-1",
            fx=FX,
        )
    with Session(engine) as session:

        def keys(entity: str, actor_is_bulk: bool) -> set[str]:
            stmt = select(AuditLogEntry.data).where(
                AuditLogEntry.entity == entity, AuditLogEntry.action == "create"
            )
            stmt = stmt.where(
                (AuditLogEntry.actor == "seed:bulk")
                if actor_is_bulk
                else (AuditLogEntry.actor != "seed:bulk")
            )
            return set(json.loads(session.scalars(stmt.limit(1)).one()))

        for entity in (
            "recruiter",
            "corridor",
            "accreditation",
            "accreditation_event",
            "audit",
            "fee_report",
        ):
            assert keys(entity, True) == keys(entity, False), entity
        # Hidden fields stay out of the log in bulk too.
        data = session.scalars(select(AuditLogEntry.data).where(AuditLogEntry.entity == "fee_report")).all()
        assert not any("reporter_key" in d or "submission_key" in d for d in data)


def test_bulk_adds_to_existing_data_and_services_keep_working(engine):
    with session_scope(engine) as session:
        factories.recruiter(session)
    volume.load(engine, recruiters=20, reports=0, pseudonym_key=KEY, fx=FX, seed=2)
    # onto existing recruiters
    volume.load(engine, recruiters=0, reports=50, pseudonym_key=KEY, fx=FX, seed=3)
    with session_scope(engine) as session:
        rec = factories.recruiter(session)  # ids and sequences continue after the bulk rows
        assert rec.id == 22
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(FeeReport)) == 50
        assert auditlog.verify(session).ok


def test_bulk_validates_its_arguments(engine):
    with pytest.raises(InvalidInput):
        volume.load(engine, recruiters=-1, reports=0, pseudonym_key=KEY, fx=FX)
    with pytest.raises(InvalidInput, match="no recruiters"):
        volume.load(engine, recruiters=0, reports=10, pseudonym_key=KEY, fx=FX)
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(FeeReport)) == 0


def _index_ddl(engine) -> set[str]:
    with engine.connect() as conn:
        return set(
            conn.exec_driver_sql(
                "SELECT name || ':' || coalesce(sql, '') FROM sqlite_master WHERE type = 'index'"
            ).scalars()
        )


def test_large_loads_rebuild_exactly_the_schema_indexes(sqlite_engine, monkeypatch):
    """Large SQLite loads defer the secondary indexes; afterwards the schema is exactly the migrated one,
    and a load that fails restores it untouched (the DDL is part of the load's transaction)."""
    before = _index_ddl(sqlite_engine)
    assert any(":CREATE UNIQUE INDEX ix_fee_report_case_code" in d for d in before)
    monkeypatch.setattr(volume, "DEFER_INDEXES_FROM", 10)
    with pytest.raises(InvalidInput):
        volume.load(sqlite_engine, recruiters=0, reports=20, pseudonym_key=KEY, fx=FX)
    assert _index_ddl(sqlite_engine) == before
    volume.load(sqlite_engine, recruiters=30, reports=60, pseudonym_key=KEY, fx=FX, seed=4)
    assert _index_ddl(sqlite_engine) == before
    with Session(sqlite_engine) as session:
        assert session.scalar(select(func.count()).select_from(FeeReport)) == 60
        assert auditlog.verify(session).ok
        assert _replays_match(session) == 30
