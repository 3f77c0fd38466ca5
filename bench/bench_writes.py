"""Concurrent writes: 8 writer processes making accreditation decisions and fee reports.

Each writer is its own process with its own engine (as 8 web or bot workers are), and commits one
unit of work at a time through the services: a fee report (``reports.submit``) or an accreditation
decision (``accreditation.decide``: suspend, then reinstate, on recruiters of its own), alternately. A
decision's unit loads the recruiter and decides, as the admin panel's decision does; the writer keeps
the states of its own recruiters to choose the decision (``decide`` checks it again on the locked row).
Every commit writes the audit-log entries of its change, the outbox messages and the event rows,
exactly as in production.

Baseline, in the same run, on the same database and the same writers: the same service calls with the
audit log switched off for the session (``session.info["auditlog_disabled"]``), i.e. the same writes
without the audit chain. After the run, the audit log is verified (``auditlog_verify.verify``, what
``fairrecruit audit-log verify`` runs) and must be intact.

PostgreSQL, and SQLite for comparison: SQLite has one writer at a time (the 8 writers queue on its
database lock), which the output says.

Environment: FAIRRECRUIT_BENCH_PG_ADMIN_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/postgres),
BENCH_WRITES_WRITERS (8), BENCH_WRITES_SECONDS (10 per phase), BENCH_WRITES_RECRUITERS (2000),
BENCH_WRITES_SQLITE (1: also run on SQLite; 0: PostgreSQL only). ``BENCH_WRITES_SMALL=1`` is the
tiny-scale run (2 writers, 2 s, 200 recruiters, no goals checked).
"""

from __future__ import annotations

import multiprocessing as mp
import os
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text

SMALL = os.environ.get("BENCH_WRITES_SMALL", "") not in ("", "0")
ADMIN_URL = os.environ.get(
    "FAIRRECRUIT_BENCH_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
WRITERS = int(os.environ.get("BENCH_WRITES_WRITERS", "2" if SMALL else "8"))
SECONDS = float(os.environ.get("BENCH_WRITES_SECONDS", "2" if SMALL else "10"))
RECRUITERS = int(os.environ.get("BENCH_WRITES_RECRUITERS", "200" if SMALL else "2000"))
WITH_SQLITE = os.environ.get("BENCH_WRITES_SQLITE", "1") not in ("", "0")
GOAL = 300.0  # commits/s on PostgreSQL with the audit chain


def row(metric: str, value, unit: str, goal: str = "", ok: bool = True) -> dict:
    return {"metric": metric, "value": value, "unit": unit, "goal": goal, "ok": ok}


# --- one writer process ------------------------------------------------------------------------------


def writer(url: str, k: int, ids: list[int], chain: bool, barrier, seconds: float, out) -> None:
    """Commit alternately a fee report and a decision for `seconds` once every writer is ready; put the
    count."""
    from datetime import date

    from sqlalchemy import select
    from sqlmodel import col

    from registry.db import make_engine, session_scope
    from registry.models import Accreditation, Recruiter
    from registry.services import accreditation, auditlog, fees, reports
    from registry.settings import CONFIG_DIR

    engine = make_engine(url)
    fx = fees.fx_table(str(CONFIG_DIR / "fx_rates.csv"))
    commits = errors = 0
    first_error = ""
    i = 0

    def read_states() -> dict[int, str]:
        """The accreditation status of each of this writer's recruiters."""
        with engine.connect() as conn:
            stmt = select(col(Accreditation.recruiter_id), col(Accreditation.status))
            return dict(conn.execute(stmt.where(col(Accreditation.recruiter_id).in_(ids))).all())

    states = read_states()  # connected and imported before the clock starts
    barrier.wait()
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        i += 1
        try:
            with session_scope(engine, write=True) as session:
                if not chain:
                    session.info["auditlog_disabled"] = True
                if i % 2:
                    auditlog.set_actor(session, "bot:report")
                    reports.submit(
                        session,
                        fees.ReportInput(
                            category="recruitment_fee",
                            amount="1200",
                            currency="USD",
                            paid_on=date(2026, 1, 15),
                            destination_country="QA",
                            origin_country="NP",
                            recruiter_id=ids[i % len(ids)],
                            consent=True,
                        ),
                        reporter_key=f"bench-writer-{k}-{i % 50}",
                        submission_key=f"bench-{uuid.uuid4().hex}",
                        fx=fx,
                    )
                else:
                    rid = ids[(i // 2) % len(ids)]
                    rec = session.get(Recruiter, rid)
                    if rec is None:
                        raise RuntimeError(f"recruiter {rid} missing")
                    auditlog.set_actor(session, f"bench-auditor-{k}@example.org")
                    # The writer alone decides on its recruiters: it knows their states (decide checks
                    # the state again on the locked row, as for an auditor's decision from the web).
                    decision = "reinstate" if states[rid] == "suspended" else "suspend"
                    moved = accreditation.decide(
                        session, rec, decision, actor=f"bench-auditor-{k}", reason="bench"
                    )
                    states[rid] = moved.accreditation.status
            commits += 1
        except Exception as exc:  # noqa: BLE001 - counted and reported; a benchmark keeps going
            errors += 1
            first_error = first_error or f"{type(exc).__name__}: {exc}"[:300]
            states = read_states()  # as they are after a failed unit
    engine.dispose()
    out.put((commits, errors, first_error))


def run_phase(url: str, pools: list[list[int]], chain: bool) -> tuple[float, int, int]:
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    barrier = ctx.Barrier(len(pools))
    procs = [
        ctx.Process(target=writer, args=(url, k, pools[k], chain, barrier, SECONDS, out))
        for k in range(len(pools))
    ]
    for p in procs:
        p.start()
    results = [out.get() for _ in procs]
    for p in procs:
        p.join()
    commits = sum(c for c, _, _ in results)
    errors = sum(e for _, e, _ in results)
    for _, _, first in results:
        if first:
            print(f"  a writer's first error: {first}", flush=True)
    return commits / SECONDS, commits, errors


# --- data and the run ---------------------------------------------------------------------------------


def prepare(url: str) -> list[list[int]]:
    """Recruiters (volume loader, with their audit-log entries) and one pool of accredited recruiters
    without open major findings per writer, so that suspend and reinstate are always allowed."""
    from registry.db import make_engine
    from registry.migrate import upgrade
    from registry.seed import volume
    from registry.services import fees
    from registry.settings import CONFIG_DIR

    engine = make_engine(url)
    upgrade(engine)
    volume.load(
        engine,
        recruiters=RECRUITERS,
        reports=RECRUITERS,
        pseudonym_key="bench-pseudonym-key",
        fx=fees.fx_table(str(CONFIG_DIR / "fx_rates.csv")),
        seed=7,
    )
    with engine.connect() as conn:
        ids = [
            r
            for (r,) in conn.execute(
                text(
                    "SELECT a.recruiter_id FROM accreditation a WHERE a.status = 'accredited' AND NOT EXISTS "
                    "(SELECT 1 FROM finding f WHERE f.recruiter_id = a.recruiter_id AND f.severity = 'major' "
                    "AND f.closed_at IS NULL) ORDER BY a.recruiter_id"
                )
            )
        ]
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("ANALYZE")
            conn.commit()
    engine.dispose()
    if len(ids) < WRITERS:
        raise RuntimeError(f"only {len(ids)} accredited recruiters to decide on")
    return [ids[k::WRITERS] for k in range(WRITERS)]


def verify(url: str) -> tuple[bool, str]:
    from sqlmodel import Session

    from registry.db import make_engine
    from registry.services import auditlog_verify

    engine = make_engine(url)
    with Session(engine) as session:
        result = auditlog_verify.verify(session)
    engine.dispose()
    return result.ok, str(result)


def measure(url: str, label: str, goal: bool) -> list[dict]:
    pools = prepare(url)
    rows = []
    base, base_n, base_err = run_phase(url, pools, chain=False)
    rate, n, err = run_phase(url, pools, chain=True)
    ok, verdict = verify(url)
    note = " (one writer at a time: SQLite)" if label == "SQLite" else ""
    print(
        f"{label}: {WRITERS} writers, {SECONDS:.0f} s each: with the audit chain {rate:.0f} commits/s "
        f"({n} commits, {err} errors); baseline without the chain {base:.0f} commits/s "
        f"({base_n} commits, {base_err} errors){note}; {verdict}",
        flush=True,
    )
    check = goal and not SMALL
    rows.append(
        row(
            f"{label}: {WRITERS} writers, commits/s with audit chain{note}",
            round(rate, 1),
            "1/s",
            ">= 300" if check else "",
            rate >= GOAL or not check,
        )
    )
    rows.append(row(f"{label}: same writes without the chain (baseline)", round(base, 1), "1/s"))
    rows.append(row(f"{label}: chain / baseline", round(rate / base, 3) if base else 0.0, "x"))
    rows.append(
        row(f"{label}: audit log intact afterwards ({verdict.split(':')[-1].strip()})", int(ok), "", "1", ok)
    )
    rows.append(row(f"{label}: failed units of work", err + base_err, "", "0", err + base_err == 0))
    return rows


def main() -> dict:
    rows: list[dict] = []
    name = f"fr_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        rows += measure(ADMIN_URL.rsplit("/", 1)[0] + "/" + name, "PostgreSQL", goal=True)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    if WITH_SQLITE:
        with tempfile.TemporaryDirectory() as tmp:
            rows += measure(f"sqlite:///{Path(tmp) / 'writes.db'}", "SQLite", goal=False)
    return {"rows": rows}


if __name__ == "__main__":
    import json

    print(json.dumps(main(), indent=2))
