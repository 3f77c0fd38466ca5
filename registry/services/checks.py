"""Compliance checks (SPEC section 4): plain functions over the whole registry.

Every check
- takes an ``as_of`` date and the settings (thresholds and periods come from configuration),
- selects the rows that need action with one or a few set-based SQL statements (no query per recruiter),
  and those statements already leave out what was done before, so a second run changes nothing,
- changes accreditation states only through ``accreditation.transition`` (actor ``system:<check>``, with a
  reason), raises alerts through ``alerts.raise_many`` (idempotent by key), and
- returns a ``CheckResult`` listing what it changed (the CLI prints it, the task logs it; every change is
  also in the audit log under the check's actor).

Each check declares its crontab next to its code (``schedule=``); ``workers/schedule.py`` collects them.
The edge (task, CLI) commits once.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from typing import Any, TypeVar

from sqlalchemy import (
    ColumnElement,
    Date,
    Integer,
    and_,
    bindparam,
    case,
    cast,
    exists,
    func,
    not_,
    null,
    or_,
    select,
)
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from registry.db import session_scope
from registry.models import Accreditation, Alert, Audit, FeeReport, Finding, Recruiter, table_of
from registry.models.accreditation import AccreditationStatus as S
from registry.models.audits import AuditKind, Severity
from registry.models.reports import TriageStatus
from registry.services import accreditation, alerts, auditlog, bulk
from registry.services.alerts import AlertSpec
from registry.services.audits import to_be_performed
from registry.services.check_sql import (
    day_start,
    no_alert_with,
    recruiters_by_id,
    run_select,
    sql_consts,
    sql_key,
)
from registry.services.standing import BAD_LICENCE  # licence statuses that are not valid (SPEC section 4)
from registry.timeutil import add_months

log = logging.getLogger(__name__)
_T = TypeVar("_T")
_R = TypeVar("_R")

# Triage outcomes that take a report out of the fee-signal count.
DISCOUNTED = (TriageStatus.unsubstantiated, TriageStatus.duplicate, TriageStatus.out_of_scope)


@dataclass
class CheckResult:
    name: str
    as_of: date
    changes: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def add(self, what: str, line: str) -> None:
        self.counts[what] += 1
        self.changes.append(line)

    @property
    def changed(self) -> int:
        return len(self.changes)

    def summary(self) -> str:
        if not self.changes:
            return f"{self.name} (as of {self.as_of}): nothing to change"
        parts = ", ".join(f"{n} {k}" for k, n in sorted(self.counts.items()))
        return f"{self.name} (as of {self.as_of}): {parts}"


def no_checkpoint() -> None:
    """The default checkpoint: everything in the caller's one transaction."""


# A check's long work comes in chunks; after each it calls the checkpoint the edge gave it (the task
# and the CLI commit there, so the chain heads and rows a chunk locked are free for other writers while
# the check goes on). Each chunk is whole by itself, and a check run again finds what is left.
CHUNK = 900


def chunk_by_chunk(
    session: Session,
    chunks: Sequence[_T],
    work: Callable[[Session, _T], _R],
    checkpoint: Callable[[], None],
) -> list[_R]:
    """``work(session, chunk)`` for each chunk, the checkpoint after each; the results in chunk order.

    When the edge commits chunk by chunk (a checkpoint given) on PostgreSQL, two connections take
    turns: this session does the even chunks and a second session, in a thread, the odd ones, each
    committing after each chunk. A chunk's statements wait for the database about half of the time and
    its Python work (the log entries and their hashes, the outbox payloads) takes the other half: with
    two, the one's Python runs while the other's statements run. Chunks are disjoint sets of recruiters
    (their rows and their audit-log chains), so the two never wait for each other. A failure on either
    side stops both after their current chunk and is raised here; what was committed stays, as with one
    connection (a check run again finds what is left). The checkpoint comes before the first chunk and
    after each of this session's chunks. Elsewhere (SQLite has one writer at a time; no checkpoint: one
    transaction) the chunks run one after the other on this session, the checkpoint after each."""
    bind = session.get_bind()
    if (
        checkpoint is no_checkpoint
        or len(chunks) < 2
        or not isinstance(bind, Engine)  # a session on one connection: that connection alone
        or bind.dialect.name != "postgresql"
    ):
        out = []
        for chunk in chunks:
            out.append(work(session, chunk))
            checkpoint()
        return out
    checkpoint()  # what this session wrote before, committed: the other session starts from it
    results: list[Any] = [None] * len(chunks)
    failed = threading.Event()
    actor = session.info.get("actor")

    def odd_chunks() -> None:
        try:
            with session_scope(bind, write=True) as other:
                if actor:
                    auditlog.set_actor(other, actor)
                for i in range(1, len(chunks), 2):
                    if failed.is_set():
                        return
                    results[i] = work(other, chunks[i])
                    other.commit()
        except BaseException:
            failed.set()
            raise

    with ThreadPoolExecutor(1, thread_name_prefix="check-chunks") as pool:
        side = pool.submit(odd_chunks)
        try:
            for i in range(0, len(chunks), 2):
                if failed.is_set():
                    break
                results[i] = work(session, chunks[i])
                checkpoint()
        except BaseException:
            failed.set()
            raise
        side.result()  # the odd chunks' failure, if any
    return results


@dataclass
class Check:
    name: str
    fn: Callable[..., CheckResult]
    schedule: dict  # celery crontab keyword arguments
    doc: str


CHECKS: dict[str, Check] = {}


def check(name: str, *, schedule: dict):
    """Register a check and the crontab (keyword arguments of celery's ``crontab``) it runs on."""

    def deco(fn):
        CHECKS[name] = Check(name, fn, schedule, (fn.__doc__ or "").strip().splitlines()[0])
        return fn

    return deco


def run(
    session: Session, name: str, *, as_of: date, settings, checkpoint: Callable[[], None] = no_checkpoint
) -> CheckResult:
    if name not in CHECKS:
        from registry.errors import InvalidInput

        raise InvalidInput(
            f"unknown check {name!r}; one of: {', '.join(CHECKS)}",
            field="name",
            code="unknown_check",
            params={"check": name},
        )
    auditlog.set_actor(session, f"system:{name}")
    with bulk.collector_paused():
        result = CHECKS[name].fn(session, as_of, settings, checkpoint=checkpoint)
        session.flush()
    log.info("check %s", result.summary())
    return result


# --- accreditation expiry -----------------------------------------------------------------------


# Selections are built once per shape (lru_cache) with bound parameters: building and hashing a
# statement costs more than running it when there is little to find.


@lru_cache(maxsize=16)
def expiry_selection(days: tuple[int, ...]):
    """Accredited recruiters past valid_until, or inside a reminder window without that reminder yet."""
    stage: ColumnElement[Any]
    if days:
        stage = case(*[(Accreditation.valid_until <= bindparam(f"until_{d}", type_=Date), d) for d in days])
    else:
        stage = null()
    reminder_key = sql_key("expiry_reminder", Accreditation.recruiter_id, Accreditation.valid_until, stage)
    return (
        select(
            col(Accreditation.recruiter_id),
            col(Accreditation.valid_until),
            cast(stage, Integer).label("stage"),
        )
        .where(
            col(Accreditation.status) == S.accredited,
            Accreditation.valid_until <= bindparam("window_end", type_=Date),
        )
        .where(or_(Accreditation.valid_until < bindparam("as_of", type_=Date), no_alert_with(reminder_key)))
        .order_by(col(Accreditation.recruiter_id))
    )


def expiry_params(as_of: date, days: tuple[int, ...]) -> dict:
    window_end = as_of + timedelta(days=max(days)) if days else as_of
    return {
        "as_of": as_of,
        "window_end": window_end,
        **{f"until_{d}": as_of + timedelta(days=d) for d in days},
    }


@check("accreditation_expiry", schedule={"minute": "10", "hour": "0"})
def accreditation_expiry(
    session: Session, as_of: date, settings, *, checkpoint: Callable[[], None] = no_checkpoint
) -> CheckResult:
    """Expire accreditations past valid_until; remind 90/30/7 days before (configurable)."""
    name = "accreditation_expiry"
    result = CheckResult(name, as_of)
    days = tuple(sorted(set(settings.expiry_reminder_days)))
    rows = run_select(session, expiry_selection(days), expiry_params(as_of, days)).all()
    to_expire = [(rid, vu) for rid, vu, _stage in rows if vu < as_of]
    reminders = [(rid, vu, stage) for rid, vu, stage in rows if vu >= as_of and stage is not None]
    valid_until = dict(to_expire)

    def expire(on: Session, chunk: list) -> list[tuple[int, str]]:
        moves = [
            accreditation.Move(
                rid,
                f"certificate valid until {vu.isoformat()} was not renewed (expired as of {as_of.isoformat()})",
            )
            for rid, vu in chunk
        ]
        return accreditation.transition_many(on, moves, S.accredited, S.expired, actor=f"system:{name}")

    chunks = [to_expire[i : i + CHUNK] for i in range(0, len(to_expire), CHUNK)]
    for moved in chunk_by_chunk(session, chunks, expire, checkpoint):
        for rid, public_id in moved:
            result.add(
                "expired",
                f"{public_id}: accredited -> expired (valid until {valid_until[rid].isoformat()})",
            )
    recs = recruiters_by_id(session, [rid for rid, _, _ in reminders])
    specs = [
        AlertSpec(
            f"expiry_reminder:{rid}:{vu.isoformat()}:{stage}",
            "expiry_reminder",
            rid,
            {
                "valid_until": vu.isoformat(),
                "days_before": stage,
                "days_left": (vu - as_of).days,
                "as_of": as_of.isoformat(),
            },
        )
        for rid, vu, stage in reminders
    ]
    for a in alerts.raise_many(session, specs):
        result.add(
            "reminders",
            f"{recs[a.recruiter_id].public_id}: reminder, accreditation expires "
            f"{a.details['valid_until']} ({a.details['days_left']} days left)",
        )
    return result


# --- overdue corrective actions -----------------------------------------------------------------


@lru_cache(maxsize=1)
def overdue_selection():
    """Open major/minor findings past their due date, still without their alert or (major) suspension."""
    key = sql_key("overdue_finding", Finding.id)
    return (
        select(
            col(Finding.id),
            col(Finding.recruiter_id),
            col(Finding.severity),
            col(Finding.principle),
            col(Finding.due_date),
            col(Finding.audit_id),
            col(Accreditation.status),
        )
        .join(Accreditation, col(Accreditation.recruiter_id) == col(Finding.recruiter_id))
        .where(
            col(Finding.closed_at).is_(None),
            Finding.due_date < bindparam("as_of", type_=Date),
            col(Finding.severity).in_(sql_consts((Severity.major, Severity.minor))),
        )
        .where(
            or_(
                no_alert_with(key),
                and_(col(Finding.severity) == Severity.major, col(Accreditation.status) == S.accredited),
            )
        )
        .order_by(col(Finding.recruiter_id), col(Finding.id))
    )


@check("overdue_corrective_actions", schedule={"minute": "20", "hour": "0"})
def overdue_corrective_actions(
    session: Session, as_of: date, settings, *, checkpoint: Callable[[], None] = no_checkpoint
) -> CheckResult:
    """Suspend on an overdue major corrective action (and alert); alert on an overdue minor one."""
    name = "overdue_corrective_actions"
    result = CheckResult(name, as_of)
    rows = run_select(session, overdue_selection(), {"as_of": as_of}).all()
    recs = recruiters_by_id(session, [r.recruiter_id for r in rows])
    majors: dict[int, list] = defaultdict(list)
    for r in rows:
        if r.severity == Severity.major and r.status == S.accredited:
            majors[r.recruiter_id].append(r)
    moves, what_of = [], {}
    for rid, found in majors.items():
        what_of[rid] = ", ".join(f"#{f.id} ({f.principle}, due {f.due_date.isoformat()})" for f in found)
        moves.append(
            accreditation.Move(
                rid,
                f"corrective action of major finding {what_of[rid]} overdue as of {as_of.isoformat()}",
                audit_id=found[0].audit_id,
            )
        )
    for i in range(0, len(moves), CHUNK):
        for rid, public_id in accreditation.transition_many(
            session, moves[i : i + CHUNK], S.accredited, S.suspended, actor=f"system:{name}"
        ):
            result.add(
                "suspended", f"{public_id}: accredited -> suspended (overdue major finding {what_of[rid]})"
            )
        checkpoint()
    specs = [
        AlertSpec(
            f"overdue_finding:{r.id}",
            f"overdue_{r.severity}_finding",
            r.recruiter_id,
            {
                "finding_id": r.id,
                "severity": r.severity,
                "principle": r.principle,
                "due_date": r.due_date.isoformat(),
                "as_of": as_of.isoformat(),
            },
        )
        for r in rows
    ]
    for a in alerts.raise_many(session, specs):
        result.add(
            "alerts",
            f"{recs[a.recruiter_id].public_id}: alert, {a.details['severity']} finding "
            f"#{a.details['finding_id']} overdue since {a.details['due_date']}",
        )
    return result


# --- surveillance due ---------------------------------------------------------------------------


@lru_cache(maxsize=1)
def surveillance_selection():
    """Accredited recruiters whose last audit (or accreditation start) is on or before the cutoff (a full
    interval before as_of) and that have no audit planned or under way."""
    cutoff = bindparam("cutoff", type_=Date)
    last = (
        select(col(Audit.recruiter_id), func.max(col(Audit.performed_date)).label("last"))
        .where(col(Audit.performed_date).is_not(None))
        .group_by(col(Audit.recruiter_id))
        .subquery()
    )
    basis = func.coalesce(last.c.last, Accreditation.valid_from)
    open_audit = exists().where(col(Audit.recruiter_id) == col(Accreditation.recruiter_id), to_be_performed())
    return (
        select(col(Accreditation.recruiter_id), basis.label("basis"))
        .outerjoin(last, last.c.recruiter_id == col(Accreditation.recruiter_id))
        .where(col(Accreditation.status) == S.accredited, basis <= cutoff, not_(open_audit))
        .order_by(col(Accreditation.recruiter_id))
    )


@check("surveillance_due", schedule={"minute": "30", "hour": "0"})
def surveillance_due(
    session: Session, as_of: date, settings, *, checkpoint: Callable[[], None] = no_checkpoint
) -> CheckResult:
    """Plan a surveillance audit (and alert) for accredited recruiters not audited in the cycle."""
    name = "surveillance_due"
    result = CheckResult(name, as_of)
    interval = settings.surveillance_interval_months
    rows = run_select(session, surveillance_selection(), {"cutoff": add_months(as_of, -interval)}).all()
    recs = recruiters_by_id(session, [rid for rid, _ in rows])
    planned: list[tuple[Audit, date]] = []
    for rid, basis in rows:
        due = add_months(basis, interval)
        audit = Audit(
            recruiter_id=rid,
            kind=AuditKind.surveillance,
            planned_date=due,
            created_by=f"system:{name}",
            summary=f"surveillance due {due.isoformat()} (last audit {basis.isoformat()})",
        )
        planned.append((audit, due))
    session.add_all([audit for audit, _ in planned])
    session.flush()
    for audit, due in planned:
        result.add(
            "audits planned",
            f"{recs[audit.recruiter_id].public_id}: surveillance audit planned for {due.isoformat()}",
        )
    specs = [
        AlertSpec(
            f"surveillance_due:{audit.recruiter_id}:{due.isoformat()}",
            "surveillance_due",
            audit.recruiter_id,
            {"due_date": due.isoformat(), "audit_id": audit.id, "as_of": as_of.isoformat()},
        )
        for audit, due in planned
    ]
    for a in alerts.raise_many(session, specs):
        result.add(
            "alerts",
            f"{recs[a.recruiter_id].public_id}: alert, surveillance audit due {a.details['due_date']}",
        )
    return result


# --- fee-report signals -------------------------------------------------------------------------


@lru_cache(maxsize=1)
def fee_signal_selection():
    """Recruiters with reports from at least `min_reporters` distinct reporters in the window
    [start, end), and no fee-signal alert opened within the window."""
    start = bindparam("start", type_=table_of(FeeReport).c.created_at.type)
    end = bindparam("end", type_=table_of(FeeReport).c.created_at.type)
    min_reporters = bindparam("min_reporters", type_=Integer)
    counts = (
        select(
            col(FeeReport.recruiter_id),
            func.count(func.distinct(col(FeeReport.reporter_key))).label("reporters"),
            func.count().label("reports"),
        )
        .where(
            col(FeeReport.recruiter_id).is_not(None),
            FeeReport.created_at >= start,
            FeeReport.created_at < end,
            col(FeeReport.triage_status).not_in(sql_consts(DISCOUNTED)),
        )
        .group_by(col(FeeReport.recruiter_id))
        .having(func.count(func.distinct(FeeReport.reporter_key)) >= min_reporters)
        .subquery()
    )
    recent_alert = exists().where(
        col(Alert.recruiter_id) == counts.c.recruiter_id,
        col(Alert.kind) == "fee_signal",
        col(Alert.opened_at) >= start,
    )
    return (
        select(counts.c.recruiter_id, counts.c.reporters, counts.c.reports)
        .where(not_(recent_alert))
        .order_by(counts.c.recruiter_id)
    )


def fee_signal_params(as_of: date, window_days: int, min_reporters: int) -> dict:
    return {
        "start": day_start(as_of - timedelta(days=window_days)),
        "end": day_start(as_of + timedelta(days=1)),
        "min_reporters": min_reporters,
    }


@lru_cache(maxsize=1)
def substantiated_without_finding():
    return (
        select(FeeReport)
        .where(
            col(FeeReport.triage_status) == TriageStatus.substantiated,
            col(FeeReport.recruiter_id).is_not(None),
            not_(exists().where(col(Finding.report_id) == col(FeeReport.id))),
        )
        .order_by(col(FeeReport.id))
    )


@check("fee_report_signals", schedule={"minute": "40", "hour": "*"})
def fee_report_signals(
    session: Session, as_of: date, settings, *, checkpoint: Callable[[], None] = no_checkpoint
) -> CheckResult:
    """Alert and propose a special audit when several workers report fees; P1 finding per substantiated report."""
    from registry.services import reports

    name = "fee_report_signals"
    result = CheckResult(name, as_of)
    window = settings.fee_signal_window_days
    rows = run_select(
        session, fee_signal_selection(), fee_signal_params(as_of, window, settings.fee_signal_min_reporters)
    ).all()
    recs = recruiters_by_id(session, [r.recruiter_id for r in rows])
    have_special: set[int] = set()
    if rows:
        ids = [r.recruiter_id for r in rows]
        for i in range(0, len(ids), 900):
            have_special.update(
                session.scalars(
                    select(col(Audit.recruiter_id)).where(
                        col(Audit.recruiter_id).in_(ids[i : i + 900]),
                        col(Audit.kind) == AuditKind.special,
                        to_be_performed(),
                    )
                )
            )
    proposed = [
        Audit(
            recruiter_id=r.recruiter_id,
            kind=AuditKind.special,
            planned_date=None,
            created_by=f"system:{name}",
            summary=f"proposed: {r.reporters} independent workers reported fees within {window} days "
            f"(as of {as_of.isoformat()})",
        )
        for r in rows
        if r.recruiter_id not in have_special
    ]
    session.add_all(proposed)
    session.flush()
    for audit in proposed:
        result.add("special audits proposed", f"{recs[audit.recruiter_id].public_id}: special audit proposed")
    specs = [
        AlertSpec(
            f"fee_signal:{r.recruiter_id}:{as_of.isoformat()}",
            "fee_signal",
            r.recruiter_id,
            {
                "reporters": r.reporters,
                "reports": r.reports,
                "window_days": window,
                "as_of": as_of.isoformat(),
            },
        )
        for r in rows
    ]
    for a in alerts.raise_many(session, specs):
        result.add(
            "alerts",
            f"{recs[a.recruiter_id].public_id}: alert, {a.details['reporters']} workers reported "
            f"fees in {window} days",
        )
    for report in session.scalars(substantiated_without_finding()).all():
        finding = reports.substantiated_finding(
            session, report, actor=f"system:{name}", major_days=settings.major_finding_due_days
        )
        result.add("P1 findings", f"case {report.case_code}: major P1 finding #{finding.id}")
    return result


# --- licence register effects ---------------------------------------------------------------------


@lru_cache(maxsize=1)
def licence_selection():
    """Recruiters whose licence is not valid, without the alert yet or still accredited."""
    key = sql_key("licence", Recruiter.id, Recruiter.licence_status)
    return (
        select(
            col(Recruiter.id),
            col(Recruiter.licence_status),
            col(Recruiter.licence_authority),
            col(Accreditation.status),
        )
        .join(Accreditation, col(Accreditation.recruiter_id) == col(Recruiter.id))
        .where(col(Recruiter.licence_status).in_(sql_consts(BAD_LICENCE)))
        .where(or_(no_alert_with(key), col(Accreditation.status) == S.accredited))
        .order_by(col(Recruiter.id))
    )


@check("licence_register", schedule={"minute": "50", "hour": "0"})
def licence_register(
    session: Session, as_of: date, settings, *, checkpoint: Callable[[], None] = no_checkpoint
) -> CheckResult:
    """Alert on recruiters whose government licence is not valid; suspend the accredited ones."""
    name = "licence_register"
    result = CheckResult(name, as_of)
    rows = run_select(session, licence_selection()).all()
    recs = recruiters_by_id(session, [r.id for r in rows])
    moves = [
        accreditation.Move(
            r.id,
            f"licence is {r.licence_status} in the {r.licence_authority or 'government'} register "
            f"(as of {as_of.isoformat()})",
        )
        for r in rows
        if r.status == S.accredited
    ]
    licence_of = {r.id: r.licence_status for r in rows}
    for i in range(0, len(moves), CHUNK):
        for rid, public_id in accreditation.transition_many(
            session, moves[i : i + CHUNK], S.accredited, S.suspended, actor=f"system:{name}"
        ):
            result.add("suspended", f"{public_id}: accredited -> suspended (licence {licence_of[rid]})")
        checkpoint()
    specs = [
        AlertSpec(
            f"licence:{r.id}:{r.licence_status}",
            "licence_not_valid",
            r.id,
            {
                "licence_status": r.licence_status,
                "authority": r.licence_authority,
                "as_of": as_of.isoformat(),
            },
        )
        for r in rows
    ]
    for a in alerts.raise_many(session, specs):
        result.add(
            "alerts", f"{recs[a.recruiter_id].public_id}: alert, licence {a.details['licence_status']}"
        )
    return result


# --- retention ------------------------------------------------------------------------------------


@check("retention", schedule={"minute": "0", "hour": "3"})
def retention(
    session: Session, as_of: date, settings, *, checkpoint: Callable[[], None] = no_checkpoint
) -> CheckResult:
    """Erase personal data (reporter key, free text, receipt) of reports closed longer than the period."""
    from registry.services import retention as retention_service

    result = CheckResult("retention", as_of)
    for case_code in retention_service.erase_closed_reports(
        session, as_of=as_of, days=settings.retention_days
    ):
        result.add("reports erased", f"case {case_code}: personal data erased")
    return result
