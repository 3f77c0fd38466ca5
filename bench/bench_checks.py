"""Benchmark of the compliance checks on PostgreSQL: 100,000 recruiters and 1,000,000 fee reports.

The data is generated here with COPY into a throw-away database. The checks run in a separate
process, through the real Celery task (``workers.tasks.run_check``, executed eagerly), as a worker
would run them; that process's peak memory is the worker peak memory.

For each check:
- first run: the day's work (expiries, reminders, suspensions, planned audits, alerts, erasures), through
  the Celery task,
- steady run: the check function again (``checks.run`` in one unit of work), which changes
  nothing: the cost of finding what needs doing, i.e. its selection plus its Python overhead,
- hand SQL: one hand-written SQL statement doing the same selection, on the same engine, interleaved
  with the steady runs (medians over 7 to 31 rounds after a warm-up round).
ratio = steady run / hand SQL. total = every check's first run plus one steady run
(the nightly work, then a re-run that finds nothing to do).

Environment: FAIRRECRUIT_BENCH_PG_ADMIN_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/postgres),
BENCH_RECRUITERS, BENCH_REPORTS (defaults 100000 and 1000000).
"""

from __future__ import annotations

import json
import os
import random
import resource
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime

from sqlalchemy import create_engine, text

ADMIN_URL = os.environ.get(
    "FAIRRECRUIT_BENCH_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
N_RECRUITERS = int(os.environ.get("BENCH_RECRUITERS", 100_000))
N_REPORTS = int(os.environ.get("BENCH_REPORTS", 1_000_000))
CHECK_NAMES = [
    "accreditation_expiry",
    "overdue_corrective_actions",
    "surveillance_due",
    "fee_report_signals",
    "licence_register",
    "retention",
]
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
                status = "cancelled" if i % 1000 == 0 else "valid"  # a day's register changes
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
                st = states[i % 20]
                vf = vu = cert = None
                if st in ("accredited", "suspended"):
                    vf = as_of - timedelta(days=rnd.randint(0, cycle + 1))
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
                last = as_of - timedelta(days=rnd.randint(366, 400) if i % 200 == 1 else rnd.randint(0, 364))
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


# --- hand-written SQL: the same selections ---------------------------------------------------------


def hand_sql(as_of: date, settings) -> dict[str, tuple[str, dict]]:
    from registry.timeutil import add_months

    days = sorted(set(settings.expiry_reminder_days))
    stage = "CASE " + " ".join(f"WHEN a.valid_until <= :d{d} THEN {d}" for d in days) + " END"
    p = {f"d{d}": as_of + timedelta(days=d) for d in days}
    start = dt(as_of - timedelta(days=settings.fee_signal_window_days), 0)
    end = dt(as_of + timedelta(days=1), 0)
    bad = "('expired','suspended','cancelled','delisted','banned')"
    return {
        "accreditation_expiry": (
            f"""
            SELECT a.recruiter_id, a.valid_until, {stage} AS stage FROM accreditation a
            WHERE a.status = 'accredited' AND a.valid_until <= :wend
              AND (a.valid_until < :as_of OR NOT EXISTS (SELECT 1 FROM alert x WHERE x.key =
                   'expiry_reminder:' || a.recruiter_id || ':' || a.valid_until || ':' || {stage}))
            ORDER BY a.recruiter_id""",
            {**p, "as_of": as_of, "wend": as_of + timedelta(days=max(days))},
        ),
        "overdue_corrective_actions": (
            """
            SELECT f.id, f.recruiter_id, f.severity, f.principle, f.due_date, f.audit_id, a.status
            FROM finding f JOIN accreditation a ON a.recruiter_id = f.recruiter_id
            WHERE f.closed_at IS NULL AND f.due_date < :as_of AND f.severity IN ('major','minor')
              AND (NOT EXISTS (SELECT 1 FROM alert x WHERE x.key = 'overdue_finding:' || f.id)
                   OR (f.severity = 'major' AND a.status = 'accredited'))
            ORDER BY f.recruiter_id, f.id""",
            {"as_of": as_of},
        ),
        "surveillance_due": (
            """
            SELECT a.recruiter_id, COALESCE(l.last, a.valid_from) FROM accreditation a
            LEFT JOIN (SELECT recruiter_id, max(performed_date) AS last FROM audit
                       WHERE performed_date IS NOT NULL GROUP BY recruiter_id) l ON l.recruiter_id = a.recruiter_id
            WHERE a.status = 'accredited' AND COALESCE(l.last, a.valid_from) <= :cutoff
              AND NOT EXISTS (SELECT 1 FROM audit o WHERE o.recruiter_id = a.recruiter_id
                              AND o.performed_date IS NULL)
            ORDER BY a.recruiter_id""",
            {"cutoff": add_months(as_of, -settings.surveillance_interval_months)},
        ),
        "fee_report_signals": (
            """
            SELECT c.recruiter_id, c.reporters, 0 AS report_id FROM (
                SELECT recruiter_id, count(DISTINCT reporter_key) AS reporters FROM fee_report
                WHERE recruiter_id IS NOT NULL AND created_at >= :start AND created_at < :end
                  AND triage_status NOT IN ('unsubstantiated','duplicate','out_of_scope')
                GROUP BY recruiter_id HAVING count(DISTINCT reporter_key) >= :min) c
            WHERE NOT EXISTS (SELECT 1 FROM alert x WHERE x.recruiter_id = c.recruiter_id
                              AND x.kind = 'fee_signal' AND x.opened_at >= :start)
            UNION ALL
            SELECT r.recruiter_id, 0, r.id FROM fee_report r
            WHERE r.triage_status = 'substantiated' AND r.recruiter_id IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM finding f WHERE f.report_id = r.id)
            ORDER BY 1, 3""",
            {"start": start, "end": end, "min": settings.fee_signal_min_reporters},
        ),
        "licence_register": (
            f"""
            SELECT r.id, r.licence_status, r.licence_authority, a.status FROM recruiter r
            JOIN accreditation a ON a.recruiter_id = r.id
            WHERE r.licence_status IN {bad}
              AND (NOT EXISTS (SELECT 1 FROM alert x WHERE x.key = 'licence:' || r.id || ':' || r.licence_status)
                   OR a.status = 'accredited')
            ORDER BY r.id""",
            {},
        ),
        "retention": (
            """
            SELECT id, case_code, recruiter_id FROM fee_report
            WHERE triage_status <> 'new' AND triaged_at < :cutoff
              AND (reporter_key IS NOT NULL OR free_text IS NOT NULL OR receipt_file_id IS NOT NULL)""",
            {"cutoff": dt(as_of - timedelta(days=settings.retention_days), 0)},
        ),
    }


# --- the worker process -------------------------------------------------------------------------------


def child(url: str, as_of: str) -> None:
    """Run every check as a worker does (first run through the Celery task), then time the check's
    steady run against the hand-written SQL on the same engine, interleaved; print timings as JSON."""
    from registry.db import session_scope
    from registry.services import checks
    from registry.settings import Settings
    from workers.app import create_celery

    settings = Settings(env="bench", database_url=url, broker_url="memory://", var_dir=os.path.abspath("var"))
    app = create_celery(settings, install_commit_hook=False)
    app.conf.task_always_eager = True
    app.loader.import_default_modules()  # the tasks, found through `include` as a worker finds them
    task = app.tasks["workers.tasks.run_check"]
    engine = app.engine
    day = date.fromisoformat(as_of)
    sqls = hand_sql(day, settings)
    out = {}
    for name in CHECK_NAMES:
        t0 = time.perf_counter()
        first = task.apply(args=(name, as_of)).get()
        t_first = time.perf_counter() - t0
        steady, hand, n_sql = [], [], 0
        sql, params = sqls[name]
        # one warm-up round, then interleaved rounds: at least 7, more for cheap checks (up to 2 s, 31 rounds)
        started = time.perf_counter()
        for i in range(32):
            t0 = time.perf_counter()
            with session_scope(engine) as session:
                again = checks.run(session, name, as_of=day, settings=settings)
            t_check = time.perf_counter() - t0
            assert again.changes == [], (name, again.changes[:5])
            t0 = time.perf_counter()
            with engine.begin() as conn:
                n_sql = len(conn.execute(text(sql), params).all())
            t_hand = time.perf_counter() - t0
            if i:
                steady.append(t_check)
                hand.append(t_hand)
            if i >= 7 and time.perf_counter() - started > 2.0:
                break
        out[name] = {
            "first": t_first,
            "changed": first["changed"],
            "counts": first["counts"],
            "steady": statistics.median(steady),
            "steady_all": steady,
            "sql": statistics.median(hand),
            "sql_rows": n_sql,
        }
    out["_maxrss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print("BENCH-RESULT " + json.dumps(out), flush=True)


# --- main ---------------------------------------------------------------------------------------------------


def main() -> dict:
    from registry.db import make_engine
    from registry.migrate import upgrade
    from registry.settings import Settings
    from registry.timeutil import today

    name = f"fr_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    as_of = today()
    settings = Settings(env="bench", database_url=url)
    rows = []
    try:
        engine = make_engine(url)
        upgrade(engine)
        t0 = time.perf_counter()
        stats = generate(url, as_of, settings)
        gen_s = time.perf_counter() - t0
        print(f"generated {stats} in {gen_s:.1f}s", flush=True)
        proc = subprocess.run(
            [sys.executable, "-m", "bench.bench_checks", "--child", url, as_of.isoformat()],
            capture_output=True,
            text=True,
            cwd=os.path.dirname(os.path.dirname(__file__)),
        )
        line = next((x for x in proc.stdout.splitlines() if x.startswith("BENCH-RESULT ")), None)
        if proc.returncode != 0 or line is None:
            raise RuntimeError(f"worker process failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}")
        res = json.loads(line[len("BENCH-RESULT ") :])
        # The child's own peak (RUSAGE_SELF there): RUSAGE_CHILDREN here would also count every other
        # child this process ran before (other benchmarks in the same `python -m bench` run).
        peak_mb = res.pop("_maxrss_kb") / 1024
        total = 0.0
        for check in CHECK_NAMES:
            r = res[check]
            t_sql, n_sql = r["sql"], r["sql_rows"]
            ratio = r["steady"] / t_sql if t_sql > 0 else float("inf")
            total += r["first"] + r["steady"]
            print(
                f"{check}: first run {r['first']:.3f}s ({r['changed']} changes {r['counts']}), steady "
                f"{r['steady'] * 1000:.1f} ms, hand SQL {t_sql * 1000:.1f} ms ({n_sql} rows)",
                flush=True,
            )
            rows.append(
                {
                    "metric": f"{check}: steady run / hand SQL",
                    "value": round(ratio, 3),
                    "unit": "x",
                    "goal": "<= 1.5",
                    "ok": ratio <= 1.5,
                }
            )
            rows.append(
                {
                    "metric": f"{check}: first run ({r['changed']} changes)",
                    "value": round(r["first"], 3),
                    "unit": "s",
                    "goal": "",
                    "ok": True,
                }
            )
        rows.append(
            {
                "metric": "all checks, total",
                "value": round(total, 2),
                "unit": "s",
                "goal": "<= 30",
                "ok": total <= 30,
            }
        )
        rows.append(
            {
                "metric": "worker peak memory",
                "value": round(peak_mb, 1),
                "unit": "MB",
                "goal": "<= 300",
                "ok": peak_mb <= 300,
            }
        )
        rows.append(
            {
                "metric": f"data: {N_RECRUITERS} recruiters, {N_REPORTS} fee reports (COPY)",
                "value": round(gen_s, 1),
                "unit": "s",
                "goal": "",
                "ok": True,
            }
        )
        engine.dispose()
    finally:
        if os.environ.get("BENCH_KEEP_DB"):
            print(f"kept database {url}", flush=True)
        else:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    return {"rows": rows}


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3])
    else:
        print(json.dumps(main(), indent=2))
