"""The volume loader: `fairrecruit seed --recruiters N --reports M`, for load tests and benchmarks.

``load(engine, recruiters=N, reports=M, ...)`` generates invented recruiters and fee reports with
Core ``executemany`` in large batches inside one transaction (``services.bulk.insert_rows``):
recruiters with their corridors, applicant accreditation and first event (the rows
``recruiters.create`` writes, from the same ``recruiters.new_recruiter_rows``), then moved through
the state machine (initial audits, accreditation histories), and fee reports, each with the
hash-chained audit-log entries the services would have written (``auditlog.append``).
"""

from __future__ import annotations

import random
import secrets
import time as _time
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session

from registry.errors import InvalidInput
from registry.models import (
    Accreditation,
    AccreditationEvent,
    Audit,
    AuditLogEntry,
    Corridor,
    FeeReport,
    FeeReportLine,
    Recruiter,
    table_of,
)
from registry.seed.data import (
    AUDITORS,
    AUTHORITIES,
    CERT_BODIES,
    CORRIDORS,
    CURRENCY,
    NAME_A,
    NAME_B,
    NAME_SUFFIX,
    SECTORS,
    licence_number,
)
from registry.services import auditlog, bulk, recruiters, reports, search
from registry.services.auditlog import PendingEntry
from registry.services.bulk import ProgressFactory
from registry.services.fees import FxTable
from registry.services.reports import CASE_ALPHABET
from registry.timeutil import add_years, utcnow

# Page cache for the load (KiB): large enough that the indexes being filled stay in memory.
LOAD_CACHE_KIB = 1024 * 1024
# Accreditation outcome mix of generated recruiters (weights).
BULK_STATES = [
    ("applicant", 24),
    ("accredited", 45),
    ("rejected", 7),
    ("suspended", 5),
    ("expired", 12),
    ("withdrawn", 7),
]
TRIAGE_MIX = [("new", 80), ("unsubstantiated", 10), ("duplicate", 6), ("out_of_scope", 4)]
CATEGORY_MIX = [
    ("recruitment_fee", 40),
    ("medical", 12),
    ("administrative", 10),
    ("travel_lodging", 8),
    ("training", 8),
    ("skills_test", 6),
    ("insurance", 4),
    ("equipment", 3),
    ("deposit_or_bond", 4),
    ("bribe_or_kickback", 2),
    ("other", 3),
]


@dataclass
class BulkResult:
    recruiters: int = 0
    reports: int = 0
    corridors: int = 0
    audits: int = 0
    events: int = 0
    log_entries: int = 0
    seconds: float = 0.0
    tables: dict[str, int] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        return (
            self.recruiters * 2 + self.reports + self.corridors + self.audits + self.events + self.log_entries
        )


@dataclass(slots=True)
class _Generated:
    """A generated recruiter (``recruiters.RecruiterFields``): known-good values, no validation needed."""

    legal_name: str
    country: str
    licence_authority: str
    licence_number: str
    corridors: list[tuple[str, str]]
    sectors: list[str]
    other_names: list[str] = field(default_factory=list)
    contact_email: str = ""
    contact_phone: str = ""
    website: str = ""
    address: str = ""
    official_address: str = ""
    official_phone: str = ""


def _weighted(rng: random.Random, mix: list[tuple[str, int]], k: int) -> list[str]:
    names = [n for n, _ in mix]
    weights = [w for _, w in mix]
    return rng.choices(names, weights=weights, k=k)


DEFER_INDEXES_FROM = 50_000


def _defer_indexes(conn: Connection, tables, volume: int) -> list:
    """For large loads on SQLite: drop the secondary indexes (the schema's own, from the models, which
    the migrations match) inside the load's transaction; the caller recreates them before commit.
    Building an index once from sorted data is much cheaper than a million random B-tree inserts.
    Primary keys and unique constraints stay. Transactional DDL: a failed load restores them."""
    if conn.dialect.name != "sqlite" or volume < DEFER_INDEXES_FROM:
        return []
    indexes = [idx for t in tables for idx in sorted(t.indexes, key=lambda i: i.name)]
    for idx in indexes:
        idx.drop(conn)
    return indexes


def load(
    engine: Engine,
    *,
    recruiters: int,
    reports: int,
    pseudonym_key: str,
    fx: FxTable,
    seed: int | None = None,
    batch: int = 10_000,
    progress: ProgressFactory | None = None,
    cycle_years: int = 3,
) -> BulkResult:
    """Generate `recruiters` recruiters and `reports` fee reports in one transaction, with audit log."""
    if recruiters < 0 or reports < 0:
        raise InvalidInput("counts cannot be negative")
    if batch < 1:
        raise InvalidInput("batch must be at least 1")
    t0 = _time.perf_counter()
    progress = progress or bulk.no_progress
    rng = random.Random(seed if seed is not None else secrets.randbits(32))
    res = BulkResult()
    R, C, A, E, AU, F = (
        table_of(Recruiter),
        table_of(Corridor),
        table_of(Accreditation),
        table_of(AccreditationEvent),
        table_of(Audit),
        table_of(FeeReport),
    )
    now = utcnow()
    t_today = now.date()
    actor = "seed:bulk"

    with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:  # pragmas for the load only (outside the transaction, as SQLite requires)
            # the DB-API connection (untyped); no SQLAlchemy transaction is open yet
            raw: Any = conn.connection.driver_connection
            raw.execute("PRAGMA synchronous=OFF")
            raw.execute(f"PRAGMA cache_size=-{LOAD_CACHE_KIB}")
            raw.execute("PRAGMA temp_store=MEMORY")
        conn.execution_options(sqlite_immediate=True)  # SQLite: BEGIN IMMEDIATE (see registry.db)
        try:
            with conn.begin():
                if conn.dialect.name == "postgresql":
                    conn.exec_driver_sql("SET LOCAL synchronous_commit = off")
                    for t in (R, C, A, E, AU, F):
                        conn.exec_driver_sql(f'LOCK TABLE "{t.name}" IN SHARE ROW EXCLUSIVE MODE')
                deferred = _defer_indexes(
                    conn, (R, C, A, E, AU, F, table_of(AuditLogEntry)), recruiters + reports
                )
                pool = _generate_recruiters(
                    conn, rng, recruiters, batch, progress, res, now, actor, cycle_years
                )
                if reports:
                    if not pool:
                        pool = [
                            tuple(r)
                            for r in conn.execute(
                                select(R.c.id, R.c.country, func.min(C.c.destination))
                                .select_from(R.outerjoin(C, C.c.recruiter_id == R.c.id))
                                .group_by(R.c.id, R.c.country)
                            )
                        ]
                        pool = [(i, c, d or c) for i, c, d in pool]
                    if not pool:
                        raise InvalidInput(
                            "there are no recruiters to attach the reports to; add --recruiters N"
                        )
                    _generate_reports(
                        conn,
                        rng,
                        reports,
                        pool,
                        batch * 5,
                        progress,
                        res,
                        now,
                        t_today,
                        pseudonym_key,
                        fx,
                        actor,
                    )
                bulk.fix_sequences(conn, (R, C, E, AU, F))
                if deferred:
                    bar = progress(len(deferred), "indexes")
                    for idx in deferred:  # rebuilt in one sorted pass each, inside the same transaction
                        idx.create(conn)
                        bar.update(1)
                    bar.close()
        finally:
            if sqlite:
                raw.execute("PRAGMA synchronous=NORMAL")
                raw.execute("PRAGMA cache_size=-2000")
    res.seconds = _time.perf_counter() - t0
    return res


def _generate_recruiters(conn, rng, n, batch, progress, res, now, actor, cycle_years):
    """Recruiters registered as applicants (``recruiters.new_recruiter_rows``) and moved on through
    the state machine; returns the pool (id, country, first destination) that reports draw from."""
    R, C, A, E, AU = (
        table_of(Recruiter),
        table_of(Corridor),
        table_of(Accreditation),
        table_of(AccreditationEvent),
        table_of(Audit),
    )
    if n == 0:
        return []
    ids = bulk.Ids(conn, (R, C, E, AU))
    taken_certs = set(
        conn.execute(select(A.c.certificate_number).where(A.c.certificate_number.is_not(None))).scalars()
    )
    pids = recruiters.new_public_ids(conn, rng, n)
    states = _weighted(rng, BULK_STATES, n)
    origins = list(CORRIDORS)
    search_cache: dict[str, str] = {}
    pool: list[tuple[int, str, str]] = []
    bar = progress(n, "recruiters")
    day = timedelta(days=1)
    created_entry, updated_entry = auditlog.created_entry, auditlog.updated_entry
    for start in range(0, n, batch):
        rrows, crows, arows, erows, aurows = [], [], [], [], []
        log: list[PendingEntry] = []
        for i in range(start, min(n, start + batch)):
            country = origins[i % len(origins)] if i % 11 else rng.choice(origins)
            dests = rng.sample(CORRIDORS[country], k=min(len(CORRIDORS[country]), rng.choice((1, 1, 2, 3))))
            name = f"{rng.choice(NAME_A)} {rng.choice(NAME_B)} {NAME_SUFFIX[country]}"
            if country == "ID":
                name = "PT " + name
            st = search_cache.get(name)
            if st is None:
                st = search_cache[name] = search.search_text(name, [])
            state = states[i]
            if state == "expired":
                age = rng.randint(365 * cycle_years + 60, 365 * cycle_years + 700)
            elif state == "applicant":
                age = rng.randint(1, 900)
            else:
                age = rng.randint(90, 365 * cycle_years - 40)
            created = now - timedelta(days=age, seconds=rng.randint(0, 86_399))
            pid = pids[i]
            sectors = rng.sample(SECTORS, k=rng.choice((1, 1, 2)))
            licence_status = (
                "valid"
                if state in ("accredited", "applicant")
                else rng.choice(("valid", "valid", "expired", "unknown"))
            )
            data = _Generated(
                legal_name=name,
                country=country,
                licence_authority=AUTHORITIES[country],
                licence_number=licence_number(country, 1000 + ids.peek("recruiter")),
                corridors=[(country, dst) for dst in dests],
                sectors=sectors,
            )
            rows = recruiters.new_recruiter_rows(
                data,
                public_id=pid,
                at=created,
                actor=actor,
                licence_status=licence_status,
                search_text=st,
                ids=ids,
            )
            rid = rows.recruiter["id"]
            rrows.append(rows.recruiter)
            crows.extend(rows.corridors)
            erows.append(rows.event)
            log.extend(rows.audit_entries(actor))
            pool.append((rid, country, dests[0]))
            # Then moved through the state machine.
            acc = rows.accreditation
            moves: list[tuple[str, datetime, str, int | None]] = []
            if state != "applicant":
                performed = (created + 21 * day).date()
                aid = ids.take("audit")
                aurow = {
                    "id": aid,
                    "recruiter_id": rid,
                    "kind": "initial",
                    "certification_body": rng.choice(CERT_BODIES),
                    "lead_auditor": rng.choice(AUDITORS),
                    "planned_date": performed - 7 * day,
                    "performed_date": performed,
                    "outcome": "nonconforming" if state == "rejected" else "conforming",
                    "summary": "",
                    "created_by": actor,
                    "created_at": created + 7 * day,
                    "cancelled_at": None,
                    "cancelled_by": None,
                    "cancel_reason": None,
                }
                aurows.append(aurow)
                log.append(created_entry(actor, Audit, aurow))
                decided = created + 30 * day
                if state == "rejected":
                    moves.append(("rejected", decided, "Initial audit nonconforming.", aid))
                else:
                    moves.append(
                        ("accredited", decided, "Initial audit conforming; no open major finding.", aid)
                    )
                    if state == "suspended":
                        moves.append(
                            (
                                "suspended",
                                decided + rng.randint(30, max(31, age - 31)) * day,
                                "Major corrective action overdue.",
                                None,
                            )
                        )
                    elif state == "withdrawn":
                        moves.append(
                            (
                                "withdrawn",
                                decided + rng.randint(30, max(31, age - 31)) * day,
                                "Recruiter left the scheme.",
                                None,
                            )
                        )
                    elif state == "expired":
                        until = add_years(decided.date(), cycle_years)
                        moves.append(
                            (
                                "expired",
                                datetime.combine(until + day, time(1), tzinfo=UTC),
                                "Accreditation cycle ended without recertification.",
                                None,
                            )
                        )
            prev = acc["status"]
            for to, at, reason, audit_id in moves:
                before = dict(acc)
                if to == "accredited":
                    acc["valid_from"] = at.date()
                    acc["valid_until"] = add_years(at.date(), cycle_years)
                    cert = f"FRC-{at.year}-{pid[3:]}-{rng.randrange(65536):04X}"
                    while cert in taken_certs:
                        cert = f"FRC-{at.year}-{pid[3:]}-{rng.randrange(65536):04X}"
                    taken_certs.add(cert)
                    acc["certificate_number"] = cert
                elif to in ("rejected", "withdrawn", "applicant"):
                    acc["valid_from"] = acc["valid_until"] = acc["certificate_number"] = None
                acc["status"] = to
                acc["since"] = acc["updated_at"] = at
                log.append(updated_entry(actor, Accreditation, before, acc))
                erow = {
                    "id": ids.take("accreditation_event"),
                    "recruiter_id": rid,
                    "from_status": prev,
                    "to_status": to,
                    "at": at,
                    "actor": actor,
                    "reason": reason,
                    "audit_id": audit_id,
                    "report_id": None,
                    "valid_from": acc["valid_from"],
                    "valid_until": acc["valid_until"],
                }
                erows.append(erow)
                log.append(created_entry(actor, AccreditationEvent, erow))
                prev = to
            arows.append(acc)
        bulk.insert_rows(conn, R, rrows)
        bulk.insert_rows(conn, C, crows)
        bulk.insert_rows(conn, A, arows)
        bulk.insert_rows(conn, AU, aurows)
        bulk.insert_rows(conn, E, erows)
        res.log_entries += auditlog.append(conn, log, now)
        res.recruiters += len(rrows)
        res.corridors += len(crows)
        res.audits += len(aurows)
        res.events += len(erows)
        bar.update(len(rrows))
    bar.close()
    return pool


def _generate_reports(conn, rng, n, pool, batch, progress, res, now, t_today, pseudonym_key, fx, actor):
    F = table_of(FeeReport)
    FL = table_of(FeeReportLine)
    fid = bulk.next_id(conn, F)
    taken = set(conn.execute(select(F.c.case_code)).scalars())
    run = secrets.token_hex(4)
    reporters = [reports.pseudonym(pseudonym_key, f"seed-{run}-{i}") for i in range(max(1, n // 3))]
    n_reporters = len(reporters)
    paid_dates = [t_today - timedelta(days=d) for d in range(0, 722)]
    paid_iso = [d.isoformat() for d in paid_dates]
    targets = (40, 80, 150, 300, 600, 900, 1200, 1800, 2500, 3500)
    money: dict[tuple[str, int, int], tuple[Decimal, Decimal | None, str, str | None]] = {}
    triage_note = "Triaged during bulk load."
    bar = progress(n, "reports")
    npool = len(pool)
    random_ = rng.random
    for start in range(0, n, batch):
        k = min(n, start + batch) - start
        codes = bulk.unique_codes(rng, CASE_ALPHABET, 8, taken, k, lambda s: f"FR-{s[:4]}-{s[4:]}")
        cats = _weighted(rng, CATEGORY_MIX, k)
        triage = _weighted(rng, TRIAGE_MIX, k)
        rows = []
        lines = []
        log: list[PendingEntry] = []
        for j in range(k):
            # Skewed: a minority of recruiters draws most reports, as in real complaint data.
            rec_id, origin, dest = pool[int(npool * random_() ** 2)]
            days_ago = 1 + int(random_() * 720)
            created = now - timedelta(
                days=max(0, days_ago - int(random_() * 60)), seconds=int(random_() * 86_400)
            )
            currency = CURRENCY.get(origin, "USD") if random_() < 0.85 else "USD"
            target = targets[int(random_() * 10)]
            key = (currency, days_ago, target)
            m = money.get(key)
            if m is None:
                paid_on = paid_dates[days_ago]
                rate = fx.to_usd(Decimal(1_000_000), currency, paid_on) / 1_000_000
                amount = Decimal(int(target / rate)) if currency != "USD" else Decimal(target)
                usd = fx.to_usd(amount, currency, paid_on)
                m = money[key] = (amount, usd, str(amount), None if usd is None else str(usd))
            amount, usd, amount_s, usd_s = m
            status = triage[j]
            triaged = status != "new"
            triaged_at = created + timedelta(days=3) if triaged else None
            channel = "telegram" if random_() < 0.85 else "web"
            rows.append(
                {
                    "id": fid,
                    "case_code": codes[j],
                    "submission_key": f"seed:{run}:{fid}",
                    "recruiter_id": rec_id,
                    "recruiter_text": "",
                    "category": cats[j],
                    "amount": amount,
                    "currency": currency,
                    "amount_usd": usd,
                    "paid_on": paid_dates[days_ago],
                    "paid_on_precision": "day",
                    "origin_country": origin,
                    "destination_country": dest,
                    "channel": channel,
                    "reporter_key": reporters[int(random_() * n_reporters)],
                    "free_text": None,
                    "receipt_file_id": None,
                    "consent_at": created,
                    "triage_status": status,
                    "triage_note": triage_note if triaged else "",
                    "triaged_by": actor if triaged else None,
                    "triaged_at": triaged_at,
                    "erased_at": None,
                    "created_at": created,
                }
            )
            # One fee line per generated report (the report's amount is the total of its lines).
            lines.append(
                {
                    "report_id": fid,
                    "position": 0,
                    "category": cats[j],
                    "amount": amount,
                    "currency": currency,
                    "amount_usd": usd,
                }
            )
            # The snapshot the audit-log hook writes (hidden columns left out), built directly: faster.
            created_iso = created.isoformat()
            log.append(
                PendingEntry(
                    actor,
                    "create",
                    "fee_report",
                    str(fid),
                    rec_id,
                    {
                        "id": fid,
                        "case_code": codes[j],
                        "recruiter_id": rec_id,
                        "recruiter_text": "",
                        "category": cats[j],
                        "amount": amount_s,
                        "currency": currency,
                        "amount_usd": usd_s,
                        "paid_on": paid_iso[days_ago],
                        "paid_on_precision": "day",
                        "origin_country": origin,
                        "destination_country": dest,
                        "channel": channel,
                        "consent_at": created_iso,
                        "triage_status": status,
                        "triage_note": triage_note if triaged else "",
                        "triaged_by": actor if triaged else None,
                        "triaged_at": triaged_at.isoformat() if triaged_at is not None else None,
                        "erased_at": None,
                        "created_at": created_iso,
                    },
                )
            )
            fid += 1
        bulk.insert_rows(conn, F, rows)
        bulk.insert_rows(conn, FL, lines, constant=("position",))
        res.log_entries += auditlog.append(conn, log, now)
        res.reports += k
        bar.update(k)
    bar.close()


def counts(session: Session) -> dict[str, int]:
    out = {}
    for model in (Recruiter, Corridor, Accreditation, AccreditationEvent, Audit, FeeReport, AuditLogEntry):
        out[model.__tablename__] = session.scalar(select(func.count()).select_from(model)) or 0
    return out
