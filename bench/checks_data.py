"""Data for the checks benchmark: 100,000 recruiters and 1,000,000 fee reports written with COPY into a
throw-away PostgreSQL database, shaped so that every check has work to do on its first run: 30 % of all
accreditations (3 recruiters in 10) are accredited with a certificate that lapsed in the last 60 days,
so the expiry check moves 30,000 of them."""

from __future__ import annotations

import json
import os
import random
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime

from sqlalchemy import create_engine

SMALL = os.environ.get("BENCH_CHECKS_SMALL", "") not in ("", "0")
N_RECRUITERS = int(os.environ.get("BENCH_RECRUITERS", 2_000 if SMALL else 100_000))
N_REPORTS = int(os.environ.get("BENCH_REPORTS", 20_000 if SMALL else 1_000_000))
LAPSING = 0.3  # share of all accreditations that lapsed and are still recorded as accredited
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


FINDING_COLUMNS = [
    "id",
    "audit_id",
    "recruiter_id",
    "principle",
    "severity",
    "description",
    "corrective_action",
    "due_date",
    "report_id",
    "closed_at",
    "closed_by",
    "closure_evidence",
    "created_at",
]


def public_id(i: int) -> str:
    s = ""
    for _ in range(5):
        i, r = divmod(i, len(ALPHABET))
        s = ALPHABET[r] + s
    return "RA-" + s


def dt(d: date, hour: int = 12) -> datetime:
    return datetime.combine(d, dtime(hour=hour), tzinfo=UTC)


# --- data -----------------------------------------------------------------------------------------


def generate(url: str, as_of: date, settings) -> dict:
    """Fill the database with COPY. Returns what was generated."""
    rnd = random.Random(42)
    now = datetime.now(UTC)
    engine = create_engine(url)
    raw = engine.raw_connection()
    stats = {}
    try:
        cur = raw.cursor()

        def copy(table: str, cols: list[str], rows):
            n = 0
            with cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as cp:
                for row in rows:
                    cp.write_row(row)
                    n += 1
            stats[table] = stats.get(table, 0) + n

        N = N_RECRUITERS
        countries = ["NP", "BD", "PH", "ID", "LK", "IN", "VN"]

        def recruiters():
            for i in range(1, N + 1):
                name = f"Benchfield Placement {i} Ltd"
                status = "cancelled" if i % 1000 == 5 else "valid"  # a day's register changes
                yield (
                    i,
                    public_id(i),
                    name,
                    "[]",
                    countries[i % 7],
                    "BENCH",
                    f"B-{i:06d}",
                    "[]",
                    "",
                    "",
                    "",
                    "",
                    status,
                    None,
                    None,
                    None,
                    name.lower(),
                    now,
                    now,
                )

        copy(
            "recruiter",
            [
                "id",
                "public_id",
                "legal_name",
                "other_names",
                "country",
                "licence_authority",
                "licence_number",
                "sectors",
                "contact_email",
                "contact_phone",
                "website",
                "address",
                "licence_status",
                "licence_valid_until",
                "licence_checked_at",
                "parent_id",
                "search_text",
                "created_at",
                "updated_at",
            ],
            recruiters(),
        )

        cycle = 3 * 365
        accredited: list[tuple[int, date, date]] = []
        states = ["accredited"] * 12 + ["applicant"] * 4 + ["suspended"] * 2 + ["expired", "withdrawn"]

        def accreditations():
            for i in range(1, N + 1):
                lapsed = i % 10 < LAPSING * 10
                st = "accredited" if lapsed else states[i % 20]
                vf = vu = cert = None
                if st in ("accredited", "suspended"):
                    vf = as_of - timedelta(
                        days=cycle + rnd.randint(1, 60) if lapsed else rnd.randint(0, cycle + 1)
                    )
                    vu = vf + timedelta(days=cycle)
                    cert = f"FRC-B-{i:06d}"
                    if st == "accredited":
                        accredited.append((i, vf, vu))
                yield (i, st, now, vf, vu, cert, now)

        copy(
            "accreditation",
            [
                "recruiter_id",
                "status",
                "since",
                "valid_from",
                "valid_until",
                "certificate_number",
                "updated_at",
            ],
            accreditations(),
        )

        def audits():
            for i, vf, _vu in accredited:
                yield (
                    2 * i - 1,
                    i,
                    "initial",
                    "Bench CB",
                    "A. Auditor",
                    vf,
                    vf,
                    "conforming",
                    "",
                    "bench",
                    now,
                )
                last = as_of - timedelta(days=rnd.randint(366, 400) if i % 200 == 5 else rnd.randint(0, 364))
                if last > vf:
                    yield (
                        2 * i,
                        i,
                        "surveillance",
                        "Bench CB",
                        "A. Auditor",
                        last,
                        last,
                        "conforming",
                        "",
                        "bench",
                        now,
                    )

        copy(
            "audit",
            [
                "id",
                "recruiter_id",
                "kind",
                "certification_body",
                "lead_auditor",
                "planned_date",
                "performed_date",
                "outcome",
                "summary",
                "created_by",
                "created_at",
            ],
            audits(),
        )

        # findings: mostly closed; open ones due in the future, a few due yesterday (the day's work)
        n_findings = 50_000
        acc_ids = [i for i, _, _ in accredited]

        def findings():
            for f in range(1, n_findings + 1):
                rid = rnd.choice(acc_ids)
                sev = rnd.choices(["major", "minor", "observation"], [3, 5, 2])[0]
                closed = rnd.random() < 0.9
                due = None if sev == "observation" else as_of + timedelta(days=rnd.randint(1, 180))
                if f % 1000 == 0 and sev != "observation":
                    due, closed = as_of - timedelta(days=1), False
                yield (
                    f,
                    2 * rid - 1,
                    rid,
                    "P2",
                    sev,
                    "bench finding",
                    "",
                    due,
                    None,
                    now if closed else None,
                    "bench" if closed else None,
                    "ok" if closed else None,
                    now,
                )

        copy(
            "finding",
            FINDING_COLUMNS,
            findings(),
        )

        # fee reports: 97% before the signal window, 3% inside it; old triaged ones already erased
        window = settings.fee_signal_window_days
        cutoff = dt(as_of - timedelta(days=settings.retention_days), 0)
        substantiated: list[tuple[int, int]] = []

        # a pool of report moments (created, its date, triaged a week later, erased?), drawn per row
        def moment(days_ago: float) -> tuple[str, str, str, str | None]:
            created = now - timedelta(days=days_ago)
            triaged = created + timedelta(days=7)
            erased = (
                (triaged + timedelta(days=731)).isoformat() if triaged < cutoff - timedelta(days=2) else None
            )
            return created.isoformat(), created.date().isoformat(), triaged.isoformat(), erased

        recent = [moment(rnd.uniform(0, window - 1)) for _ in range(5_000)]
        older = [moment(rnd.uniform(window + 1, 5 * 365)) for _ in range(50_000)]
        columns = [
            "id", "case_code", "submission_key", "recruiter_id", "recruiter_text", "category", "amount",
            "currency", "amount_usd", "paid_on", "origin_country", "destination_country", "channel",
            "reporter_key", "free_text", "receipt_file_id", "consent_at", "triage_status", "triage_note",
            "triaged_by", "triaged_at", "erased_at", "created_at",
        ]  # fmt: skip
        null = "\\N"  # COPY text format NULL
        rand = rnd.random
        with cur.copy(f"COPY fee_report ({', '.join(columns)}) FROM STDIN") as cp:
            lines = []
            for r in range(1, N_REPORTS + 1):
                rid = int(rand() * N) + 1 if rand() > 0.01 else None
                pool = recent if rand() < 0.03 else older
                created, paid, triaged, erased = pool[int(rand() * len(pool))]
                x = rand()
                tri = (
                    "new"
                    if x < 0.6
                    else "unsubstantiated"
                    if x < 0.85
                    else "duplicate"
                    if x < 0.96
                    else "out_of_scope"
                )
                if r % 1000 == 0 and rid is not None:
                    tri = "substantiated"
                    substantiated.append((r, rid))
                key = f"k{int(rand() * 3_000_000):07d}"
                free = "bench story" if r % 10 == 0 else null
                triaged_at = by = erased_at = null
                if tri != "new":
                    triaged_at, by = triaged, "bench"
                    if erased:
                        key, free, erased_at = null, null, erased
                row = [
                    str(r), f"FR-B{r:07d}", f"bench-{r}", str(rid) if rid else null, "" if rid else "unknown agency",
                    "recruitment_fee", "500", "USD", "500", paid, "NP", "QA", "telegram", key, free, null, created,
                    tri, "", by, triaged_at, erased_at, created,
                ]  # fmt: skip
                lines.append("\t".join(row))
                if len(lines) >= 20_000:
                    cp.write("\n".join(lines) + "\n")
                    lines = []
            if lines:
                cp.write("\n".join(lines) + "\n")
        stats["fee_report"] = N_REPORTS

        # P1 findings for the substantiated reports (all but 20: the check catches those)
        acc_set = set(acc_ids)
        extra_audits = sorted({rid for _r, rid in substantiated[20:] if rid not in acc_set})
        copy(
            "audit",
            [
                "id",
                "recruiter_id",
                "kind",
                "certification_body",
                "lead_auditor",
                "planned_date",
                "performed_date",
                "outcome",
                "summary",
                "created_by",
                "created_at",
            ],
            (
                (
                    2 * N + k + 1,
                    rid,
                    "special",
                    "Bench CB",
                    "",
                    as_of,
                    as_of,
                    "nonconforming",
                    "",
                    "bench",
                    now,
                )
                for k, rid in enumerate(extra_audits)
            ),
        )
        extra_audit_id = {rid: 2 * N + k + 1 for k, rid in enumerate(extra_audits)}
        copy(
            "finding",
            FINDING_COLUMNS,
            (
                (
                    n_findings + 1 + k,
                    2 * rid - 1 if rid in acc_set else extra_audit_id[rid],
                    rid,
                    "P1",
                    "major",
                    "fee",
                    "",
                    as_of + timedelta(days=60),
                    report_id,
                    now,
                    "bench",
                    "repaid",
                    now,
                )
                for k, (report_id, rid) in enumerate(substantiated[20:])
            ),
        )

        # yesterday's reminders already exist (steady state); today's stage crossings are the day's work
        days = sorted(settings.expiry_reminder_days)
        yesterday = as_of - timedelta(days=1)

        def alerts():
            aid = 0
            for i, _vf, vu in accredited:
                left = (vu - yesterday).days
                if 0 <= left <= max(days):
                    stage = min(d for d in days if left <= d)
                    aid += 1
                    yield (
                        aid,
                        f"expiry_reminder:{i}:{vu.isoformat()}:{stage}",
                        "expiry_reminder",
                        i,
                        json.dumps({"valid_until": vu.isoformat()}),
                        now - timedelta(days=1),
                    )
            for j in range(50_000):  # history: resolved alerts of other kinds
                aid += 1
                yield (aid, f"history:{j}", "history", rnd.randint(1, N), "{}", now - timedelta(days=400))

        copy("alert", ["id", "key", "kind", "recruiter_id", "details", "opened_at"], alerts())

        copy(
            "company",
            ["id", "name", "contact_email", "created_at"],
            ((c, f"Bench Buyer {c}", "", now) for c in range(1, 101)),
        )
        copy(
            "webhook_endpoint",
            ["id", "company_id", "url", "secret", "events", "active", "created_at"],
            (
                (
                    c,
                    c,
                    f"http://127.0.0.1:9/hook/{c}",
                    "s" * 32,
                    '["recruiter.status_changed", "recruiter.licence_changed", "recruiter.alert_raised"]',
                    True,
                    now,
                )
                for c in range(1, 101)
            ),
        )
        links = {(rnd.randint(1, 100), rnd.randint(1, N)) for _ in range(20_000)}
        copy(
            "supplier_link",
            ["company_id", "recruiter_id", "added_at"],
            ((c, r, now) for c, r in sorted(links)),
        )
        copy(
            "follower",
            ["id", "chat_id", "recruiter_id", "language", "created_at"],
            ((f, 10_000_000 + f, rnd.randint(1, N), "en", now) for f in range(1, 5001)),
        )

        for table in (
            "recruiter",
            "audit",
            "finding",
            "fee_report",
            "alert",
            "company",
            "webhook_endpoint",
            "follower",
        ):
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
            )
        raw.commit()
        cur.execute("ANALYZE")
        raw.commit()
    finally:
        raw.close()
        engine.dispose()
    return stats
