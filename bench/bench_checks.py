"""Benchmark of the compliance checks on PostgreSQL: 100,000 recruiters and 1,000,000 fee reports.

The data is generated here with COPY into a throw-away database. The checks run in a separate
process, through the real Celery task (``workers.tasks.run_check``, executed eagerly), as a worker
would run them; that process's peak memory is the worker peak memory.

30 % of the accreditations have lapsed (bench.checks_data): the expiry check's first run moves 30,000
recruiters (state, event, outbox messages, two audit-log entries each).

For each check:
- hand-written writes (bench.checks_baseline): the same writes as the first run, in hand-written SQL on
  one psycopg connection, timed, then rolled back so that the check finds the same work;
- first run: the day's work (expiries, reminders, suspensions, planned audits, alerts, erasures), through
  the Celery task, committing chunk by chunk as the worker does; timed. ratio = first run / hand writes;
- steady run: the check function again (``checks.run`` in one unit of work), which changes nothing: the
  cost of finding what needs doing, against one hand-written SQL statement doing the same selection,
  interleaved (medians over 7 to 31 rounds after a warm-up round).
While the first runs go on, another process commits fee reports through the reports service (as the bot
does, about 30 a second, on random recruiters, a third of them being expired at that moment): the time
each report's unit of work takes (submit and commit) is its wait; p95 is reported, beside the p95 of the
same reports sent for 8 s before the checks start (what a report takes on this machine anyway). The
reports also go on during the hand-written writes (those waits are not counted), so that each check's
first run and its baseline compete with the same other writer: a tiny check measured against a
baseline that ran alone would be billed for the reporter's share of the machine.
Peak memory is the RSS high-water mark of the process running the checks.

Rounds (BENCH_CHECKS_ROUNDS, default 3; 2 at tiny scale): the hand-written writes and the first runs are
measured again on fresh copies of the generated data (``CREATE DATABASE ... TEMPLATE`` of a copy taken
right after generation), each in its own checks process with the reporter going on; a first run's ratio
is the median of the rounds' ratios (each printed), the total of the first runs the slowest round's, the
peak memory the highest. The steady runs are measured in the first round only.

BENCH_CHECKS_SMALL=1: tiny scale (2,000 recruiters, 20,000 reports) without goals checked.

Environment: FAIRRECRUIT_BENCH_PG_ADMIN_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/postgres),
BENCH_RECRUITERS, BENCH_REPORTS (defaults 100000 and 1000000).
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import queue
import resource
import statistics
import subprocess
import sys
import time
import uuid
from datetime import date, timedelta

from sqlalchemy import create_engine, text

from bench import checks_baseline
from bench.checks_data import N_RECRUITERS, N_REPORTS, SMALL, dt, generate

# Rounds of first runs, each on its own copy of the same generated data (the ratio is their median).
ROUNDS = int(os.environ.get("BENCH_CHECKS_ROUNDS", "2" if SMALL else "3"))

ADMIN_URL = os.environ.get(
    "FAIRRECRUIT_BENCH_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
CHECK_NAMES = [
    "accreditation_expiry",
    "overdue_corrective_actions",
    "surveillance_due",
    "fee_report_signals",
    "licence_register",
    "retention",
]
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


def bot_reports(url: str, stop, go, phase, waits) -> None:
    """Commit fee reports through the reports service (about 30 a second) until `stop`; put the time
    each unit of work took (submit and commit, in seconds)."""
    import random

    from registry.db import make_engine, session_scope
    from registry.services import auditlog, fees, reports
    from registry.settings import CONFIG_DIR

    engine = make_engine(url)
    fx = fees.fx_table(str(CONFIG_DIR / "fx_rates.csv"))
    rnd = random.Random(5)
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    waits.put("ready")
    took = []
    while not stop.is_set():
        if not go.wait(timeout=0.05):
            continue
        started_in = phase.value  # a report is counted in the phase it started in
        t0 = time.perf_counter()
        with session_scope(engine, write=True) as session:
            auditlog.set_actor(session, "bot")
            reports.submit(
                session,
                fees.ReportInput(
                    category="recruitment_fee",
                    amount="900",
                    currency="USD",
                    paid_on=date(2026, 1, 10),
                    destination_country="QA",
                    origin_country="NP",
                    recruiter_id=rnd.randint(1, N_RECRUITERS),
                    consent=True,
                ),
                reporter_key=f"bench-bot-{rnd.randint(1, 10_000)}",
                submission_key=f"bench-bot-{uuid.uuid4().hex}",
                fx=fx,
            )
        took.append((started_in, time.perf_counter() - t0))
        time.sleep(0.03)
    engine.dispose()
    waits.put(took)


def peak_rss_kb() -> int:
    """This process's own RSS high-water mark (VmHWM). Not getrusage's ru_maxrss: Linux keeps that across
    fork and exec, so a child started by a big parent (`python -m bench` after the bot or search bench,
    which hold 100,000 recruiters in memory) would report the parent's peak as its own."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # no /proc: the closest figure


def child(url: str, as_of: str, first_only: bool = False) -> None:
    """Run every check as a worker does (first run through the Celery task), then time the check's
    steady run against the hand-written SQL on the same engine, interleaved; print timings as JSON.
    `first_only`: the first runs and their baselines alone (a further round on a fresh copy of the data)."""
    from registry.db import session_scope
    from registry.services import checks
    from registry.settings import Settings
    from workers.app import create_celery

    settings = Settings(
        env="production", database_url=url, broker_url="memory://", var_dir=os.path.abspath("var")
    )
    app = create_celery(settings, install_commit_hook=False)
    app.conf.task_always_eager = True
    app.loader.import_default_modules()  # the tasks, found through `include` as a worker finds them
    task = app.tasks["workers.tasks.run_check"]
    engine = app.engine
    day = date.fromisoformat(as_of)
    sqls = hand_sql(day, settings)
    out = {}
    firsts = {}
    ctx = mp.get_context("spawn")
    stop, waits = ctx.Event(), ctx.Queue()
    go = ctx.Event()  # reports are sent while a check's first run goes on, not during the hand writes
    # 0: before the checks (alone), 1: during the first runs, 2: during the hand-written writes (not counted)
    phase = ctx.Value("i", 0)
    reporter = ctx.Process(target=bot_reports, args=(url, stop, go, phase, waits))
    reporter.start()
    deadline = time.monotonic() + 300
    while True:  # a reporter that died at start fails the bench at once, not after the timeout
        try:
            if waits.get(timeout=1) != "ready":
                raise RuntimeError("the reporting process did not start")
            break
        except queue.Empty:
            if not reporter.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the reporting process ended (exit code {reporter.exitcode})") from None
    if not first_only:
        # the same reports with nothing else running in this benchmark: what a report takes on this machine
        go.set()
        time.sleep(8)
        go.clear()
        time.sleep(0.5)
    phase.value = 1
    for name in CHECK_NAMES:
        # The hand-written writes, rolled back: the check then finds the same work. The reports go on
        # meanwhile as well (their waits in this phase are not counted), so that the check and its
        # baseline share the machine and the database with the same other writer.
        phase.value = 2
        go.set()
        raw = engine.raw_connection()
        try:
            cur = raw.cursor()
            t0 = time.perf_counter()
            n_hand = checks_baseline.run(cur, name, day, settings, sqls)
            t_hand_writes = time.perf_counter() - t0
            raw.rollback()
        finally:
            raw.close()
        phase.value = 1
        print(f"{name}: hand-written writes {t_hand_writes:.2f} s", file=sys.stderr, flush=True)
        t0 = time.perf_counter()
        first = task.apply(args=(name, as_of)).get()
        firsts[name] = (time.perf_counter() - t0, first, t_hand_writes, n_hand)
        go.clear()
        print(f"{name}: first run {firsts[name][0]:.2f} s", file=sys.stderr, flush=True)
    stop.set()
    report_waits = waits.get(timeout=300)
    reporter.join()
    out["_report_waits"] = report_waits
    for name in CHECK_NAMES:
        t_first, first, t_hand_writes, n_hand = firsts[name]
        if first_only:
            out[name] = {"first": t_first, "hand_writes": t_hand_writes}
            continue
        steady, hand, n_sql = [], [], 0
        sql, params = sqls[name]
        # one warm-up round, then interleaved rounds: at least 7, more for cheap checks (up to 2 s, 31 rounds)
        started = time.perf_counter()
        for i in range(32):
            t0 = time.perf_counter()
            with session_scope(engine) as session:
                again = checks.run(session, name, as_of=day, settings=settings)
            t_check = time.perf_counter() - t0
            # The warm-up round may still act on reports committed after this check's first run (the
            # reporting process went on during the later checks); from then on there is nothing to do.
            assert not i or again.changes == [], (name, again.changes[:5])
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
            "hand_writes": t_hand_writes,
            "hand_log_entries": n_hand,
            "changed": first["changed"],
            "counts": first["counts"],
            "steady": statistics.median(steady),
            "steady_all": steady,
            "sql": statistics.median(hand),
            "sql_rows": n_sql,
        }
    out["_maxrss_kb"] = peak_rss_kb()
    print("BENCH-RESULT " + json.dumps(out), flush=True)


# --- main ---------------------------------------------------------------------------------------------------


def run_child(url: str, as_of: date, first_only: bool = False) -> dict:
    """The checks' process (``child``) on the database at `url`; its BENCH-RESULT."""
    proc = subprocess.run(
        [sys.executable, "-m", "bench.bench_checks", "--child", url, as_of.isoformat()]
        + (["--first-only"] if first_only else []),
        stdout=subprocess.PIPE,
        text=True,
        cwd=os.path.dirname(os.path.dirname(__file__)),
    )
    line = next((x for x in proc.stdout.splitlines() if x.startswith("BENCH-RESULT ")), None)
    if proc.returncode != 0 or line is None:
        raise RuntimeError(f"worker process failed:\n{proc.stdout[-3000:]}")
    # The child's own peak (its VmHWM): RUSAGE_CHILDREN here would also count every other child this
    # process ran before (other benchmarks in the same `python -m bench` run).
    return json.loads(line[len("BENCH-RESULT ") :])


def main() -> dict:
    from registry.db import make_engine
    from registry.migrate import upgrade
    from registry.settings import Settings
    from registry.timeutil import today

    name = f"fr_bench_{uuid.uuid4().hex[:8]}"
    copies = [f"{name}_data", *(f"{name}_r{k}" for k in range(2, ROUNDS + 1))]
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    base = ADMIN_URL.rsplit("/", 1)[0] + "/"
    url = base + name
    as_of = today()
    settings = Settings(env="production", database_url=url)
    rows = []
    try:
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        t0 = time.perf_counter()
        stats = generate(url, as_of, settings)
        gen_s = time.perf_counter() - t0
        print(f"generated {stats} in {gen_s:.1f}s", flush=True)
        with admin.connect() as conn:  # the untouched data, for the further rounds
            conn.execute(text(f'CREATE DATABASE "{copies[0]}" TEMPLATE "{name}"'))
        res = run_child(url, as_of)
        rounds = [{c: dict(res[c]) for c in CHECK_NAMES}]
        peak_mb = res.pop("_maxrss_kb") / 1024
        all_waits = res.pop("_report_waits")
        for k, copy in enumerate(copies[1:], start=2):
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{copy}" TEMPLATE "{copies[0]}"'))
            again = run_child(base + copy, as_of, first_only=True)
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)'))
            rounds.append({c: again[c] for c in CHECK_NAMES})
            peak_mb = max(peak_mb, again["_maxrss_kb"] / 1024)
            all_waits += again["_report_waits"]
            print(f"round {k} of {ROUNDS} (first runs on a fresh copy of the data) done", flush=True)
        for check in CHECK_NAMES:
            ratios = [
                r[check]["first"] / r[check]["hand_writes"] for r in rounds if r[check]["hand_writes"] > 0
            ]
            res[check]["first_ratio"] = statistics.median(ratios) if ratios else float("inf")
            res[check]["first_ratios"] = ratios
            res[check]["first"] = statistics.median(r[check]["first"] for r in rounds)
            res[check]["hand_writes"] = statistics.median(r[check]["hand_writes"] for r in rounds)
        total_first_worst = max(sum(r[c]["first"] for c in CHECK_NAMES) for r in rounds)
        waits = sorted(t for p, t in all_waits if p == 1)
        alone = sorted(t for p, t in all_waits if p == 0)
        goals = not SMALL

        def row(metric, value, unit, goal="", ok=True):
            rows.append(
                {
                    "metric": metric,
                    "value": value,
                    "unit": unit,
                    "goal": goal if goals else "",
                    "ok": ok or not goals,
                }
            )

        total_steady = 0.0
        for check in CHECK_NAMES:
            r = res[check]
            t_sql, n_sql = r["sql"], r["sql_rows"]
            steady_ratio = r["steady"] / t_sql if t_sql > 0 else float("inf")
            first_ratio = r["first_ratio"]
            total_steady += r["steady"]
            print(
                f"{check}: first run {r['first']:.3f}s ({r['changed']} changes {r['counts']}), hand-written "
                f"writes {r['hand_writes']:.3f}s ({r['hand_log_entries']} log entries) (medians of {len(rounds)} "
                f"rounds; first run / hand-written writes in each: "
                f"{', '.join(f'{x:.2f}' for x in r['first_ratios'])}); second run "
                f"{r['steady'] * 1000:.1f} ms, hand SQL selection {t_sql * 1000:.1f} ms ({n_sql} rows)",
                flush=True,
            )
            row(
                f"{check}: first run / hand-written writes, median of {len(rounds)} rounds",
                round(first_ratio, 3),
                "x",
                "<= 2",
                first_ratio <= 2,
            )
            row(f"{check}: first run ({r['changed']} changes)", round(r["first"], 3), "s")
            row(
                f"{check}: second run / hand SQL selection",
                round(steady_ratio, 3),
                "x",
                "<= 1.5",
                steady_ratio <= 1.5,
            )
        row(
            "all checks, first run (the slowest round)",
            round(total_first_worst, 2),
            "s",
            "<= 60",
            total_first_worst <= 60,
        )
        row("all checks, second run (nothing to do)", round(total_steady, 2), "s")
        row(
            "worker peak memory (RSS of the checks process)",
            round(peak_mb, 1),
            "MB",
            "<= 300",
            peak_mb <= 300,
        )
        if waits:
            p95 = waits[min(len(waits) - 1, int(0.95 * len(waits)))] * 1000
            print(
                f"fee reports committed during the first runs: {len(waits)}, p50 "
                f"{waits[len(waits) // 2] * 1000:.0f} ms, p95 {p95:.0f} ms, max {waits[-1] * 1000:.0f} ms",
                flush=True,
            )
            row(
                f"bot report unit of work during the checks, p95 ({len(waits)} reports)",
                round(p95, 1),
                "ms",
                "<= 200",
                p95 <= 200,
            )
            row("bot report unit of work during the checks, max", round(waits[-1] * 1000, 1), "ms")
        if alone:
            p95_alone = alone[min(len(alone) - 1, int(0.95 * len(alone)))] * 1000
            print(
                f"the same reports before the checks ran: {len(alone)}, p50 {alone[len(alone) // 2] * 1000:.0f} ms, "
                f"p95 {p95_alone:.0f} ms",
                flush=True,
            )
            row(
                f"bot report unit of work with no check running, p95 ({len(alone)} reports)",
                round(p95_alone, 1),
                "ms",
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
        with admin.connect() as conn:
            for copy in copies:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)'))
        if os.environ.get("BENCH_KEEP_DB"):
            print(f"kept database {url}", flush=True)
        else:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    return {"rows": rows}


if __name__ == "__main__":
    if len(sys.argv) in (4, 5) and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3], first_only=sys.argv[4:] == ["--first-only"])
    else:
        print(json.dumps(main(), indent=2))
