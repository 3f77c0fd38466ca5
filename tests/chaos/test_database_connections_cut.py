"""PostgreSQL terminates every connection of the registry's database again and again while writers
commit fee reports and accreditation decisions. A write is acknowledged only once its commit returned;
a writer whose connection was cut retries the same write (fee reports by their submission key). Every
acknowledged write is there afterwards, none twice, and the engine reconnects by itself."""

from __future__ import annotations

import collections
import threading
import time
from datetime import date, timedelta

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.exc import DBAPIError

from registry.db import make_engine, session_scope
from registry.errors import DomainError, IllegalTransition
from registry.models import FeeReport, Recruiter
from registry.services import accreditation, auditlog, fees, reports
from registry.settings import CONFIG_DIR
from tests import factories
from tests.chaos.conftest import figures

pytestmark = pytest.mark.chaos

REPORTS_PER_WRITER = 40
WRITERS = 2
DECISIONS = 15
FAULT_SECONDS = 6.0
PSEUDONYM_KEY = "test-pseudonym-key-0123456789"


def report_input(rec_id: int) -> fees.ReportInput:
    return fees.ReportInput(
        category="recruitment_fee",
        amount="1500",
        currency="USD",
        paid_on=date.today() - timedelta(days=3),
        destination_country="QA",
        origin_country="NP",
        recruiter_id=rec_id,
        consent=True,
    )


def test_connections_terminated_mid_write(pg_engine, pg_url):
    engine = make_engine(pg_url, pool_size=5, max_overflow=5)  # pool_pre_ping, as the application's
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    fx = fees.fx_table(str(CONFIG_DIR / "fx_rates.csv"))
    with session_scope(engine, write=True) as s:
        auditlog.set_actor(s, "chaos")
        target = factories.accredited(s, name="Chaos Target Manpower", country="NP", licence="NP-9/99").id
        deciders = [
            factories.accredited(s, name=f"Chaos Decided {i}", country="NP").id for i in range(DECISIONS)
        ]
    acknowledged: set[str] = set()
    attempted: set[str] = set()
    errors = {"retries": 0}
    successes: list[float] = []
    lock = threading.Lock()

    def retrying(name: str, write) -> None:
        with lock:
            attempted.add(name)
        while True:
            try:
                write()
            except (DBAPIError, DomainError) as err:
                if isinstance(err, IllegalTransition):
                    break  # the earlier attempt committed although its answer was lost: done already
                if isinstance(err, DomainError):
                    raise
                with lock:
                    errors["retries"] += 1
                time.sleep(0.05)
                continue
            break
        with lock:
            acknowledged.add(name)
            successes.append(time.monotonic())

    def report_writer(w: int) -> None:
        for i in range(REPORTS_PER_WRITER):
            key = f"chaos:{w}:{i}"

            def write(key=key):
                with session_scope(engine, write=True) as s:
                    auditlog.set_actor(s, "worker")
                    reports.submit(
                        s,
                        report_input(target),
                        reporter_key=reports.pseudonym(PSEUDONYM_KEY, 9_000_000 + w * 1000 + i),
                        submission_key=key,
                        fx=fx,
                    )

            retrying(key, write)

    def decision_writer() -> None:
        for rid in deciders:

            def write(rid=rid):
                with session_scope(engine, write=True) as s:
                    rec = s.get(Recruiter, rid)
                    accreditation.decide(s, rec, "suspend", actor="chaos@fairrecruit.test", reason="chaos")

            retrying(f"decision:{rid}", write)

    stop = threading.Event()
    terminated = [0]
    cuts: list[float] = []  # when connections were cut

    def killer() -> None:
        while not stop.is_set():
            with admin.connect() as conn:
                n = len(
                    conn.execute(
                        text(
                            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                        )
                    ).all()
                )
            if n:
                terminated[0] += n
                cuts.append(time.monotonic())
            time.sleep(0.15)

    threads = [threading.Thread(target=report_writer, args=(w,)) for w in range(WRITERS)]
    threads.append(threading.Thread(target=decision_writer))
    faults = threading.Thread(target=killer, daemon=True)
    faults.start()
    for t in threads:
        t.start()
    time.sleep(FAULT_SECONDS)
    stop.set()
    faults.join(10)
    for t in threads:
        t.join(120)
    # time to recover: after each cut, until the next write committed; the worst of them (cuts that no
    # write followed, because every write was done, do not count)
    after_cut = [
        min(t for t in successes if t >= cut) - cut for cut in cuts if any(t >= cut for t in successes)
    ]
    recovery = max(after_cut, default=0.0)

    with session_scope(engine) as s:
        stored = dict(
            s.execute(select(FeeReport.submission_key, func.count()).group_by(FeeReport.submission_key)).all()
        )
        suspended = {rid for rid in deciders if accreditation.get(s, rid).status == "suspended"}
        moves = {
            rid: len([h for h in accreditation.history(s, rid) if h.to_status == "suspended"])
            for rid in deciders
        }
    engine.dispose()
    admin.dispose()
    received = {k: n for k, n in stored.items() if k in attempted}
    received.update({f"decision:{rid}": moves[rid] for rid in suspended})
    lost, duplicated = figures(
        "PostgreSQL connections terminated mid-write",
        sent=acknowledged,
        received=collections.Counter(received),
        recovery=recovery,
        extra=f"{terminated[0]} connections terminated, {errors['retries']} writes retried",
    )
    assert terminated[0] > 0 and errors["retries"] > 0  # the faults did strike
    assert len(acknowledged) == WRITERS * REPORTS_PER_WRITER + DECISIONS
    assert lost == 0 and duplicated == 0
    assert all(n == 1 for n in stored.values())
