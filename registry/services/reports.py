"""Fee reports from workers: submit (idempotent), link to a recruiter, triage and its revisions, privacy.

The repayment ledger of a report is ``registry.services.ledger``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

from sqlalchemy import ColumnElement, bindparam, delete, exists, func, insert, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import make_transient_to_detached
from sqlmodel import Session, col

from registry.errors import Conflict, InvalidInput, NotFound
from registry.models import Audit, FeeReport, FeeReportLine, Finding, Recruiter, ReportEvent, id_of, table_of
from registry.models.audits import AuditKind, Principle, Severity
from registry.models.reports import DatePrecision, FeeCategory, ReportEventKind, TriageStatus
from registry.services import auditlog, cleantext, follow, outbox, paging
from registry.services import audits as audit_service
from registry.services.fees import (
    FxTable,
    ReportInput,
    total_of,
    validate,
    validate_lines,
)
from registry.timeutil import today, utcnow

CASE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def pseudonym(pseudonym_key: str, chat_id: int | str) -> str:
    """Keyed hash of a chat id: the only link between a worker and their reports."""
    return hmac.new(pseudonym_key.encode(), f"tg:{chat_id}".encode(), hashlib.sha256).hexdigest()


def new_case_code() -> str:
    raw = "".join(secrets.choice(CASE_ALPHABET) for _ in range(8))
    return f"FR-{raw[:4]}-{raw[4:]}"


def reports_today(session: Session, reporter_key: str, now: datetime | None = None) -> int:
    since = (now or utcnow()) - timedelta(days=1)
    return (
        session.scalar(
            select(func.count())
            .select_from(FeeReport)
            .where(col(FeeReport.reporter_key) == reporter_key, col(FeeReport.created_at) >= since)
        )
        or 0
    )


def _existing_and_recruiter(
    session: Session, submission_key: str, recruiter_id: int | None
) -> tuple[int | None, bool]:
    """(the id of the report already stored under this submission key or None, whether the recruiter
    named exists; True when none is named), in one statement (two indexed looks)."""
    existing, both = _existing_statements()
    if recruiter_id is None:
        return session.scalar(existing, {"key": submission_key}), True
    found, recruiter = session.execute(both, {"key": submission_key, "rid": recruiter_id}).one()
    return found, bool(recruiter)


@lru_cache(maxsize=1)
def _existing_statements():
    """The statements of ``_existing_and_recruiter``, built once (their values are parameters)."""
    existing = select(col(FeeReport.id)).where(col(FeeReport.submission_key) == bindparam("key"))
    known = exists().where(col(Recruiter.id) == bindparam("rid"))
    return existing, select(existing.scalar_subquery(), known)


class LimitReached(Conflict):
    code = "limit_reached"
    status = 429


def submit(
    session: Session,
    data: ReportInput,
    *,
    reporter_key: str | None,
    submission_key: str,
    fx: FxTable,
    daily_limit: int | None = None,
) -> tuple[FeeReport, bool]:
    """Store a fee report once. Returns (report, created); a repeated submission_key returns the first one.

    Commit is the caller's; the case code may be shown only after it succeeded.
    """
    # Almost always nothing: the id alone is asked for, the report loaded only when there is one; the
    # same statement tells whether the recruiter exists (one round trip for both).
    existing_id, recruiter_known = _existing_and_recruiter(session, submission_key, data.recruiter_id)
    if existing_id is not None:
        existing = session.get(FeeReport, existing_id)
        if existing is not None:
            return existing, False
    validate(data, fx)
    lines = validate_lines(data, fx)
    amount, currency, usd = total_of(lines)
    if reporter_key and daily_limit is not None and reports_today(session, reporter_key) >= daily_limit:
        raise LimitReached(
            f"at most {daily_limit} reports a day from one chat", params={"per_day": daily_limit}
        )
    if not recruiter_known:
        raise InvalidInput("unknown recruiter", field="recruiter", code="unknown_recruiter")
    month_only = data.paid_on_precision == DatePrecision.month
    report = FeeReport(
        case_code=new_case_code(),
        submission_key=submission_key,
        recruiter_id=data.recruiter_id,
        recruiter_text=cleantext.clean_text(data.recruiter_text)[:300],
        category=lines[0].category,
        amount=amount,
        currency=currency,
        amount_usd=usd,
        paid_on=data.paid_on.replace(day=1) if data.paid_on and month_only else data.paid_on,
        paid_on_precision=DatePrecision.month if data.paid_on and month_only else DatePrecision.day,
        origin_country=(data.origin_country or "").upper(),
        destination_country=data.destination_country.upper(),
        channel=data.channel,
        reporter_key=reporter_key,
        free_text=cleantext.clean_text(data.free_text)[:2000] or None,
        receipt_file_id=data.receipt_file_id,
        consent_at=utcnow(),
    )
    report_id = _store(session, report, lines)
    if report_id is None:
        # A concurrent delivery of the same submission won the race: return that one.
        existing = session.scalars(
            select(FeeReport).where(col(FeeReport.submission_key) == submission_key)
        ).first()
        if existing is None:  # pragma: no cover - the conflict names a row that exists
            raise Conflict("the report could not be stored", code="report_conflict")
        return existing, False
    return report, True


@lru_cache(maxsize=1)
def _insert_report_stmt():
    """SQLite: INSERT of a report that does nothing when its submission key is stored already; its id
    returned. Built once: the values are parameters (values given to the statement itself would be compared for
    the statement cache's key at every run)."""
    report_t = table_of(FeeReport)
    return (
        sqlite_insert(report_t)
        .on_conflict_do_nothing(index_elements=["submission_key"])
        .returning(report_t.c.id)
    )


def _store(session: Session, report: FeeReport, lines: list) -> int | None:
    """Insert a new report and its lines with Core statements, and their audit-log entries (the entries
    the flush hook writes for ``create``); the report becomes persistent in the session with its id.
    ``None``, having written nothing, when a report with the same submission key is already stored
    (``ON CONFLICT DO NOTHING``: no savepoint, and the transaction goes on).

    The hot write of the bot: the report's and the lines' INSERTs and the log's append, with no
    savepoint, no flush and no inspection of every column by the hook."""
    conn = session.connection()
    report_t, line_t = table_of(FeeReport), table_of(FeeReportLine)
    row = {c.name: getattr(report, c.name) for c in report_t.columns if c.name != "id"}
    logged = not session.info.get("auditlog_disabled")
    locked: dict[int, tuple[int, str]] = {}
    if conn.dialect.name == "postgresql":
        report_id, locked = _store_pg(conn, row, lines, lock_chain=logged)
    else:
        report_id = conn.execute(_insert_report_stmt(), row).scalar()
        if report_id is not None:
            conn.execute(insert(line_t), [{"report_id": report_id, **x} for x in _line_values(lines)])
    if report_id is None:
        return None
    report.id = report_id
    make_transient_to_detached(report)
    session.add(report)
    if logged:
        actor = session.info.get("actor", "system")
        # The report's entry (its lines are not in the log: the report holds their total).
        entry = auditlog.created_entry(actor, FeeReport, {"id": report_id, **row})
        auditlog.append(conn, [entry], locked=locked)
    return report_id


def _line_values(lines: list) -> list[dict]:
    return [
        {
            "position": i,
            "category": line.category,
            "amount": line.amount,
            "currency": line.currency,
            "amount_usd": line.amount_usd,
        }
        for i, line in enumerate(lines)
    ]


@lru_cache(maxsize=1)
def _store_pg_sql() -> str:
    """PostgreSQL: the report, its lines and the lock of its chain's head in one statement. The head is
    locked after the report's row is written, as the log's append would lock it (the same order of locks
    as every other write); nothing is written nor locked when the submission key is stored already."""
    report_t = table_of(FeeReport)
    columns = [c.name for c in report_t.columns if c.name != "id"]
    # Identifiers are the tables' own column names; every value is a parameter.
    return (
        f"WITH r AS (INSERT INTO fee_report ({', '.join(columns)}) "  # nosec B608
        f"VALUES ({', '.join(f'%(c_{c})s' for c in columns)}) "
        "ON CONFLICT (submission_key) DO NOTHING RETURNING id), "
        "l AS (INSERT INTO fee_report_line (report_id, position, category, amount, currency, amount_usd) "
        "SELECT r.id, v.position, v.category, v.amount, v.currency, v.amount_usd FROM r, "
        "unnest(%(positions)s::integer[], %(categories)s::text[], %(amounts)s::numeric[], "
        "%(currencies)s::text[], %(usds)s::numeric[]) AS v(position, category, amount, currency, amount_usd)) "
        "SELECT r.id, h.seq, h.hash FROM r " + auditlog.head_lock_join("chain")
    )


def _store_pg(
    conn, row: dict, lines: list, *, lock_chain: bool
) -> tuple[int | None, dict[int, tuple[int, str]]]:
    """Run ``_store_pg_sql``: (the new report's id, its chain's head as ``append`` takes it locked); None
    and no head when the submission is stored already, no head when the chain has none yet or
    `lock_chain` is false."""
    values = _line_values(lines)
    chain = auditlog.chain_of_recruiter(row["recruiter_id"])
    params = {f"c_{k}": v for k, v in row.items()}
    params.update(
        positions=[x["position"] for x in values],
        categories=[x["category"] for x in values],
        amounts=[x["amount"] for x in values],
        currencies=[x["currency"] for x in values],
        usds=[x["amount_usd"] for x in values],
        chain=chain,
        lock=lock_chain,
    )
    found = conn.exec_driver_sql(_store_pg_sql(), params).first()
    if found is None:
        return None, {}
    report_id, seq, head_hash = found
    return report_id, auditlog.locked_head(chain, seq, head_hash)


def lines_of(session: Session, report: FeeReport) -> list[FeeReportLine]:
    """The fees of a report, in the order given."""
    return list(
        session.scalars(
            select(FeeReportLine)
            .where(col(FeeReportLine.report_id) == id_of(report))
            .order_by(col(FeeReportLine.position))
        )
    )


def cases_of(session: Session, reporter_key: str) -> list[FeeReport]:
    return list(
        session.scalars(
            select(FeeReport)
            .where(col(FeeReport.reporter_key) == reporter_key)
            .order_by(col(FeeReport.created_at).desc())
            .limit(50)
        )
    )


def forget_chat(session: Session, *, chat_id: int, reporter_key: str) -> dict:
    """Erase everything linked to a chat: follows (raw chat id) and the personal data of its reports.

    The reports themselves stay, unlinked, so aggregates and open cases keep their evidence value.
    """
    followers = follow.forget_chat(session, chat_id)
    erased = (
        session.exec(
            update(FeeReport)
            .where(col(FeeReport.reporter_key) == reporter_key)
            .values(reporter_key=None, free_text=None, receipt_file_id=None, erased_at=utcnow())
        ).rowcount
        or 0
    )
    from registry.models import BotState, ChatPreference

    session.execute(delete(ChatPreference).where(col(ChatPreference.reporter_key) == reporter_key))
    # The bot's own state of the chat: its data (an unfinished report) and conversation steps.
    session.execute(
        delete(BotState).where(
            (col(BotState.key) == str(chat_id)) | col(BotState.key).startswith(f"[{chat_id},")
        )
    )
    return {"follows": followers, "reports": erased}


# --- triage -----------------------------------------------------------------------------------


def get(session: Session, report_id: int) -> FeeReport:
    r = session.get(FeeReport, report_id)
    if r is None:
        raise NotFound(f"no fee report {report_id}", code="report_not_found", params={"id": report_id})
    return r


def require_decision(status: str) -> None:
    if status not in TriageStatus.__members__ or status == TriageStatus.new:
        raise InvalidInput(
            f"choose substantiated, unsubstantiated, duplicate or out_of_scope, not {status!r}",
            field="status",
            code="unknown_triage_status",
            params={"status": status},
        )


def _require_linked(report: FeeReport) -> None:
    if report.recruiter_id is None:
        raise InvalidInput(
            "link the report to a registered recruiter before substantiating it",
            field="status",
            code="recruiter_not_linked",
            params={"case": report.case_code},
        )


def _record(session: Session, report: FeeReport, kind: str, before: str, after: str, reason: str, actor: str):
    session.add(
        ReportEvent(
            report_id=id_of(report),
            recruiter_id=report.recruiter_id,
            kind=kind,
            before=before,
            after=after,
            reason=reason,
            actor=actor,
        )
    )


def triage(
    session: Session, report: FeeReport, *, status: str, note: str, actor: str, major_days: int = 90
) -> Finding | None:
    """Decide a new report. A substantiated report becomes a major P1 finding (on the recruiter's open
    audit, or a new special audit); the decision is kept in the report's history and the worker who
    sent it (if they asked through the bot) is told, in their language, through the outbox."""
    require_decision(status)
    if report.triage_status != TriageStatus.new:
        raise Conflict(
            f"case {report.case_code} was already triaged as {report.triage_status}; revise the decision instead",
            code="already_triaged",
            params={"case": report.case_code, "status": report.triage_status},
        )
    note = cleantext.clean_text(note)
    if not note:
        raise InvalidInput("a triage note is required", field="note", code="note_required")
    if status == TriageStatus.substantiated:
        _require_linked(report)
    _decide(report, status, note, actor)
    _record(session, report, ReportEventKind.triaged, TriageStatus.new, status, report.triage_note, actor)
    finding = None
    if status == TriageStatus.substantiated:
        finding = substantiated_finding(session, report, actor=actor, major_days=major_days)
    outbox.emit_case_decided(session, report)
    session.flush()
    return finding


def _decide(report: FeeReport, status: str, note: str, actor: str) -> None:
    report.triage_status = status
    report.triage_note = note
    report.triaged_by = actor
    report.triaged_at = utcnow()


def revise_triage(
    session: Session, report: FeeReport, *, status: str, reason: str, actor: str, major_days: int = 90
) -> Finding | None:
    """Change the decision on a triaged report, with a reason; returns the report's P1 finding, if any.

    The report shows the new decision (its note is the reason); every earlier one stays in the report's
    history (``ReportEvent``) and in the audit log. The worker who sent it is told again.

    The P1 finding of a substantiated report is never deleted:
    - revised *away from* substantiated: an open finding is withdrawn (closed, its closure evidence
      and history saying it was withdrawn and why), so the overdue check no longer acts on it; a
      finding already closed keeps its closure. Nothing else is undone automatically: a suspension
      that followed the finding is lifted only by an accreditation decision (reinstate), and the
      repayment ledger stays (entries can still be reversed, none added).
    - revised *to* substantiated: the report's finding is made again if it never existed, reopened with
      a fresh due date (``major_days`` from today) if it had been withdrawn, and left as it is otherwise.
    """
    require_decision(status)
    text = audit_service.require_reason(reason)
    if report.triage_status == TriageStatus.new:
        raise Conflict(
            f"case {report.case_code} has not been triaged yet; triage it first",
            code="not_triaged",
            params={"case": report.case_code},
        )
    before = report.triage_status
    if status == before:
        raise InvalidInput(
            f"case {report.case_code} is already {status}",
            field="status",
            code="triage_unchanged",
            params={"case": report.case_code, "status": status},
        )
    if status == TriageStatus.substantiated:
        _require_linked(report)
    _decide(report, status, text, actor)
    _record(session, report, ReportEventKind.revised, before, status, text, actor)
    finding = finding_of(session, id_of(report))
    why = f"case {report.case_code} revised from {before} to {status}: {text}"
    if before == TriageStatus.substantiated and finding is not None:
        audit_service.withdraw(session, finding, reason=why, actor=actor)
    elif status == TriageStatus.substantiated:
        if finding is None:
            finding = substantiated_finding(session, report, actor=actor, major_days=major_days)
        elif audit_service.was_withdrawn(session, finding):
            audit_service.reopen(
                session, finding, reason=why, actor=actor, due_date=today() + timedelta(days=major_days)
            )
    outbox.emit_case_decided(session, report, revised=True)
    session.flush()
    return finding


def link_recruiter(
    session: Session, report: FeeReport, recruiter: Recruiter, *, reason: str, actor: str
) -> FeeReport:
    """Link a report to a registered recruiter (one the worker could not match, or a wrong match), with
    a reason; who, when, why and the previous link are kept in the report's history and the audit log.

    What the worker typed stays as it is. A substantiated report's link is locked (its P1 finding is
    on that recruiter): revise the decision first. Once linked, the report is triaged as usual.
    """
    text = audit_service.require_reason(reason)
    if report.recruiter_id == recruiter.id:
        raise Conflict(
            f"case {report.case_code} is already linked to {recruiter.public_id}",
            code="already_linked",
            params={"case": report.case_code, "recruiter": recruiter.public_id},
        )
    if report.triage_status == TriageStatus.substantiated:
        raise Conflict(
            f"case {report.case_code} is substantiated against its recruiter; revise the decision before "
            "changing the recruiter",
            code="link_locked",
            params={"case": report.case_code},
        )
    previous = session.get(Recruiter, report.recruiter_id) if report.recruiter_id is not None else None
    report.recruiter_id = recruiter.id
    _record(
        session,
        report,
        ReportEventKind.linked,
        previous.public_id if previous is not None else "",
        recruiter.public_id,
        text,
        actor,
    )
    session.flush()
    return report


def history(session: Session, report_id: int) -> list[ReportEvent]:
    """A report's decisions (linking, triage, revisions), oldest first."""
    return list(
        session.scalars(
            select(ReportEvent).where(col(ReportEvent.report_id) == report_id).order_by(col(ReportEvent.id))
        )
    )


def substantiated_finding(
    session: Session, report: FeeReport, *, actor: str, major_days: int = 90
) -> Finding:
    """The major P1 finding for a substantiated report (idempotent: one finding per report)."""
    existing = session.scalars(select(Finding).where(col(Finding.report_id) == report.id)).first()
    if existing is not None:
        return existing
    if report.recruiter_id is None:
        raise InvalidInput(
            "link the report to a registered recruiter before substantiating it",
            field="status",
            code="recruiter_not_linked",
        )
    audit = audit_service.open_audit(session, report.recruiter_id)
    if audit is None:
        audit = Audit(
            recruiter_id=report.recruiter_id,
            kind=AuditKind.special,
            planned_date=today(),
            certification_body="",
            lead_auditor="",
            created_by=actor,
            summary=f"special audit opened for substantiated fee report {report.case_code}",
        )
        session.add(audit)
        session.flush()
    return audit_service.add_finding(
        session,
        audit,
        principle=Principle.P1,
        severity=Severity.major,
        description=(
            f"Substantiated worker report {report.case_code}: {report.category} of "
            f"{report.amount} {report.currency} charged to a jobseeker (Employer Pays Principle)"
        ),
        corrective_action="Repay the worker in full and stop charging the fee",
        report_id=report.id,
        major_days=major_days,
    )


# --- lists --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportFilters:
    """What the list of fee reports can be narrowed by; empty means any. `recruiter` is a public id,
    or else text found in the recruiter's name as the worker typed it or as registered."""

    status: str = ""
    category: str = ""
    recruiter: str = ""
    date_from: date | None = None
    date_to: date | None = None


def list_page(session: Session, filters: ReportFilters, *, page: int, per_page: int) -> paging.ListPage:
    """Fee reports (rows of FeeReport, public id, legal name): new ones oldest first (the triage
    queue), the others newest first."""
    from registry.services import recruiters

    conds: list[ColumnElement[bool]] = []
    if filters.status in TriageStatus.__members__:
        conds.append(col(FeeReport.triage_status) == filters.status)
    if filters.category in FeeCategory.__members__:
        conds.append(col(FeeReport.category) == filters.category)
    if filters.recruiter:
        try:
            conds.append(
                col(FeeReport.recruiter_id) == recruiters.get_by_public_id(session, filters.recruiter).id
            )
        except NotFound:  # not a public id: the name, as typed by the worker or as registered
            text = filters.recruiter
            conds.append(
                paging.contains(col(FeeReport.recruiter_text), text)
                | col(FeeReport.recruiter_id).in_(
                    select(col(Recruiter.id)).where(paging.contains(col(Recruiter.legal_name), text))
                )
            )
    if filters.date_from:
        conds.append(col(FeeReport.created_at) >= datetime.combine(filters.date_from, time.min, UTC))
    if filters.date_to:
        conds.append(
            col(FeeReport.created_at) < datetime.combine(filters.date_to + timedelta(days=1), time.min, UTC)
        )
    order = col(FeeReport.created_at).asc() if filters.status == "new" else col(FeeReport.created_at).desc()
    stmt = (
        select(FeeReport, col(Recruiter.public_id), col(Recruiter.legal_name))
        .outerjoin(Recruiter, col(Recruiter.id) == col(FeeReport.recruiter_id))
        .where(*conds)
        .order_by(order, col(FeeReport.id))
    )
    total = paging.count_rows(session, FeeReport, *conds)
    return paging.offset_page(session, stmt, page=page, per_page=per_page, total=total)


def of_recruiter(session: Session, recruiter_id: int, *, limit: int = 100) -> list[FeeReport]:
    """A recruiter's fee reports, newest first."""
    return list(
        session.scalars(
            select(FeeReport)
            .where(col(FeeReport.recruiter_id) == recruiter_id)
            .order_by(col(FeeReport.created_at).desc())
            .limit(limit)
        )
    )


def finding_of(session: Session, report_id: int) -> Finding | None:
    """The finding a substantiated report led to."""
    return session.scalars(select(Finding).where(col(Finding.report_id) == report_id)).first()


def other_reports_by_reporter(session: Session, report: FeeReport) -> int:
    """How many other reports came from the same (pseudonymous) reporter."""
    if not report.reporter_key:
        return 0
    return paging.count_rows(
        session, FeeReport, FeeReport.reporter_key == report.reporter_key, FeeReport.id != report.id
    )
