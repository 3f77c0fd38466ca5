"""Audits, findings and corrective actions, and their corrections.

No dead ends: a planned audit can be cancelled, a finding's due date changed and a closed corrective
action reopened, each with a reason. Corrections are recorded, never erased: the audit keeps who
cancelled it, when and why; a finding's history is a list of ``FindingEvent`` rows (both audit-logged
by the hook of ``registry.services.auditlog``, in the same transaction).
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import ColumnElement, and_, select
from sqlmodel import Session, col

from registry.errors import Conflict, InvalidInput, NotFound
from registry.models import Audit, Finding, FindingEvent, Recruiter, id_of
from registry.models.audits import AuditKind, AuditOutcome, FindingEventKind, Principle, Severity
from registry.services import cleantext, paging
from registry.timeutil import today, utcnow


def to_be_performed() -> ColumnElement[bool]:
    """SQL condition of an audit still to take place: not performed and not cancelled."""
    return and_(col(Audit.performed_date).is_(None), col(Audit.cancelled_at).is_(None))


def require_reason(reason: str | None, *, field: str = "reason") -> str:
    """The reason of a correction, cleaned (``cleantext.clean_text``); refused when empty (code ``reason_required``)."""
    text = cleantext.clean_text(reason)
    if not text:
        raise InvalidInput("a reason is required for this change", field=field, code="reason_required")
    return text


def require_not_cancelled(audit: Audit) -> None:
    if audit.cancelled_at is not None:
        raise Conflict(
            f"audit #{audit.id} was cancelled; plan a new audit instead",
            code="audit_cancelled",
            params={"audit": audit.id},
        )


def plan(
    session: Session,
    recruiter: Recruiter,
    *,
    kind: str,
    planned_date: date | None,
    certification_body: str = "",
    lead_auditor: str = "",
    actor: str,
) -> Audit:
    if kind not in AuditKind.__members__:
        raise InvalidInput(
            f"unknown audit kind {kind!r}; one of: {', '.join(AuditKind)}",
            field="kind",
            code="unknown_audit_kind",
            params={"kind": kind},
        )
    if recruiter.id is None:
        raise RuntimeError("recruiter.id is not None")
    audit = Audit(
        recruiter_id=recruiter.id,
        kind=kind,
        planned_date=planned_date,
        certification_body=cleantext.clean_name(certification_body, field="certification_body"),
        lead_auditor=cleantext.clean_name(lead_auditor, field="lead_auditor"),
        created_by=actor,
    )
    session.add(audit)
    session.flush()
    return audit


def open_audit(session: Session, recruiter_id: int) -> Audit | None:
    """The most recent audit still to take place (not performed, not cancelled), if any."""
    return session.scalars(
        select(Audit)
        .where(col(Audit.recruiter_id) == recruiter_id, to_be_performed())
        .order_by(col(Audit.id).desc())
        .limit(1)
    ).first()


def record_outcome(
    session: Session, audit: Audit, *, performed_date: date, outcome: str, summary: str = ""
) -> Audit:
    if outcome not in AuditOutcome.__members__:
        raise InvalidInput(
            f"unknown outcome {outcome!r}; one of: {', '.join(AuditOutcome)}",
            field="outcome",
            code="unknown_outcome",
            params={"outcome": outcome},
        )
    require_not_cancelled(audit)
    if performed_date > today():
        raise InvalidInput(
            "the performed date cannot be in the future", field="performed_date", code="date_in_future"
        )
    audit.performed_date = performed_date
    audit.outcome = outcome
    audit.summary = cleantext.clean_text(summary)
    session.flush()
    return audit


def default_due_date(
    severity: str, *, major_days: int, minor_days: int, start: date | None = None
) -> date | None:
    start = start or today()
    if severity == Severity.major:
        return start + timedelta(days=major_days)
    if severity == Severity.minor:
        return start + timedelta(days=minor_days)
    return None


def add_finding(
    session: Session,
    audit: Audit,
    *,
    principle: str,
    severity: str,
    description: str,
    corrective_action: str = "",
    due_date: date | None = None,
    report_id: int | None = None,
    major_days: int = 90,
    minor_days: int = 180,
) -> Finding:
    if principle not in Principle.__members__:
        raise InvalidInput(
            f"unknown principle {principle!r}; one of: {', '.join(Principle)}", field="principle"
        )
    if severity not in Severity.__members__:
        raise InvalidInput(
            f"unknown severity {severity!r}; one of: {', '.join(Severity)}",
            field="severity",
            code="unknown_severity",
            params={"severity": severity},
        )
    description = cleantext.clean_text(description)
    if not description:
        raise InvalidInput("describe the finding", field="description", code="description_required")
    require_not_cancelled(audit)
    if due_date is None:
        due_date = default_due_date(severity, major_days=major_days, minor_days=minor_days)
    if audit.id is None:
        raise RuntimeError("audit.id is not None")
    finding = Finding(
        audit_id=audit.id,
        recruiter_id=audit.recruiter_id,
        principle=principle,
        severity=severity,
        description=description,
        corrective_action=cleantext.clean_text(corrective_action),
        due_date=due_date,
        report_id=report_id,
    )
    session.add(finding)
    session.flush()
    return finding


def close_finding(session: Session, finding: Finding, *, evidence: str, actor: str) -> Finding:
    if finding.closed_at is not None:
        raise InvalidInput(
            "this corrective action is already closed", field="evidence", code="already_closed"
        )
    evidence = cleantext.clean_text(evidence)
    if not evidence:
        raise InvalidInput(
            "closing a corrective action needs an evidence note", field="evidence", code="evidence_required"
        )
    finding.closed_at = utcnow()
    finding.closed_by = actor
    finding.closure_evidence = evidence
    session.flush()
    return finding


def cancel(session: Session, audit: Audit, *, reason: str, actor: str) -> Audit:
    """Cancel a planned audit that will not take place, with a reason (who, when and why are kept).

    Only an audit not yet performed can be cancelled, and only once. Findings already recorded on it
    stay as they are (open ones stay open, with their due dates: they concern the recruiter, not the
    visit). A cancelled audit takes no outcome and no new finding, and no longer counts as planned, so
    the surveillance check plans a new one when one is due.
    """
    text = require_reason(reason)
    if audit.performed_date is not None:
        raise Conflict(
            f"audit #{audit.id} was performed on {audit.performed_date.isoformat()}; it cannot be cancelled",
            code="audit_already_performed",
            params={"audit": audit.id, "performed": audit.performed_date.isoformat()},
        )
    if audit.cancelled_at is not None:
        raise Conflict(
            f"audit #{audit.id} is already cancelled",
            code="audit_already_cancelled",
            params={"audit": audit.id},
        )
    audit.cancelled_at = utcnow()
    audit.cancelled_by = actor
    audit.cancel_reason = text
    session.flush()
    return audit


def _event(finding: Finding, kind: str, *, reason: str, actor: str, **kw) -> FindingEvent:
    return FindingEvent(
        finding_id=id_of(finding),
        recruiter_id=finding.recruiter_id,
        kind=kind,
        reason=reason,
        actor=actor,
        **kw,
    )


def change_due_date(
    session: Session, finding: Finding, *, due_date: date | None, reason: str, actor: str
) -> Finding:
    """Move the due date of an open corrective action, with a reason; the old date stays in its history.

    The new date must be given, differ from the current one and not lie in the past; a closed finding is
    reopened first (``reopen``).
    """
    text = require_reason(reason)
    if due_date is None:
        raise InvalidInput("choose the new due date", field="due_date", code="due_date_required")
    if finding.closed_at is not None:
        raise Conflict(
            "this corrective action is closed; reopen it to change its due date",
            code="finding_closed",
            params={"finding": finding.id},
        )
    if due_date < today():
        raise InvalidInput(
            "the new due date cannot be in the past",
            field="due_date",
            code="due_date_in_past",
            params={"min": today().isoformat()},
        )
    if due_date == finding.due_date:
        raise InvalidInput(
            f"the corrective action is already due on {due_date.isoformat()}",
            field="due_date",
            code="due_date_unchanged",
            params={"due": due_date.isoformat()},
        )
    session.add(
        _event(
            finding,
            FindingEventKind.due_date_changed,
            reason=text,
            actor=actor,
            due_before=finding.due_date,
            due_after=due_date,
        )
    )
    finding.due_date = due_date
    session.flush()
    return finding


def reopen(
    session: Session, finding: Finding, *, reason: str, actor: str, due_date: date | None = None
) -> Finding:
    """Open a closed corrective action again, with a reason.

    The closure it replaces (who, when, evidence) is kept in the finding's history. With `due_date`
    (today or later) the action gets a new due date; without one it keeps its old date, so an action
    that is past due is picked up by the next overdue check.
    """
    text = require_reason(reason)
    if finding.closed_at is None:
        raise Conflict(
            "this corrective action is open already",
            code="finding_not_closed",
            params={"finding": finding.id},
        )
    if due_date is not None and due_date < today():
        raise InvalidInput(
            "the new due date cannot be in the past",
            field="due_date",
            code="due_date_in_past",
            params={"min": today().isoformat()},
        )
    closed = (
        f"closed {finding.closed_at:%Y-%m-%d} by {finding.closed_by or '?'}: {finding.closure_evidence or ''}"
    )
    session.add(
        _event(
            finding,
            FindingEventKind.reopened,
            reason=text,
            actor=actor,
            due_before=finding.due_date,
            due_after=due_date or finding.due_date,
            detail=closed[:4000],
        )
    )
    finding.closed_at = None
    finding.closed_by = None
    finding.closure_evidence = None
    if due_date is not None:
        finding.due_date = due_date
    session.flush()
    return finding


def withdraw(session: Session, finding: Finding, *, reason: str, actor: str) -> Finding:
    """Close a finding whose ground is gone (the fee report behind it is no longer substantiated).

    Never deleted: the closure evidence says it was withdrawn and why, and the history records it. An
    already closed finding is left as it is (its closure stands) and nothing is recorded.
    """
    if finding.closed_at is not None:
        return finding
    text = require_reason(reason)
    session.add(
        _event(finding, FindingEventKind.withdrawn, reason=text, actor=actor, due_before=finding.due_date)
    )
    finding.closed_at = utcnow()
    finding.closed_by = actor
    finding.closure_evidence = f"Withdrawn: {text}"[:4000]
    session.flush()
    return finding


def was_withdrawn(session: Session, finding: Finding) -> bool:
    """Whether the finding is closed because it was withdrawn (its last history event is a withdrawal)."""
    if finding.closed_at is None:
        return False
    last = session.scalars(
        select(col(FindingEvent.kind))
        .where(col(FindingEvent.finding_id) == finding.id)
        .order_by(col(FindingEvent.id).desc())
        .limit(1)
    ).first()
    return last == FindingEventKind.withdrawn


def history(session: Session, finding_ids: list[int]) -> dict[int, list[FindingEvent]]:
    """The corrections of each finding, oldest first."""
    out: dict[int, list[FindingEvent]] = {i: [] for i in finding_ids}
    if not finding_ids:
        return out
    for ev in session.scalars(
        select(FindingEvent)
        .where(col(FindingEvent.finding_id).in_(finding_ids))
        .order_by(col(FindingEvent.finding_id), col(FindingEvent.id))
    ):
        out[ev.finding_id].append(ev)
    return out


def get_audit(session: Session, audit_id: int) -> Audit:
    audit = session.get(Audit, audit_id)
    if audit is None:
        raise NotFound(f"no audit {audit_id}", code="audit_not_found", params={"id": audit_id})
    return audit


def get_finding(session: Session, finding_id: int) -> Finding:
    f = session.get(Finding, finding_id)
    if f is None:
        raise NotFound(f"no finding {finding_id}", code="finding_not_found", params={"id": finding_id})
    return f


# --- lists --------------------------------------------------------------------------------------

AUDIT_STATES = ("planned", "due30", "performed", "cancelled")  # anything else: every audit
FINDING_STATES = ("open", "overdue", "closed")  # anything else: every finding


def list_page(
    session: Session, *, state: str, kind: str, page: int, per_page: int, as_of: date
) -> paging.ListPage:
    """Audits (rows of Audit, public id, legal name): planned ones soonest first (`due30`: within 30
    days of `as_of`), performed ones latest first, or the cancelled ones; `kind` narrows to one kind."""
    conds: list = []
    if state == "planned":
        conds.append(to_be_performed())
    elif state == "due30":
        conds += [to_be_performed(), col(Audit.planned_date) <= as_of + timedelta(days=30)]
    elif state == "performed":
        conds.append(col(Audit.performed_date).is_not(None))
    elif state == "cancelled":
        conds.append(col(Audit.cancelled_at).is_not(None))
    if kind in AuditKind.__members__:
        conds.append(col(Audit.kind) == kind)
    order = (
        (col(Audit.planned_date).asc(), col(Audit.id))
        if state != "performed"
        else (col(Audit.performed_date).desc(), col(Audit.id).desc())
    )
    stmt = (
        select(Audit, col(Recruiter.public_id), col(Recruiter.legal_name))
        .join(Recruiter, col(Recruiter.id) == col(Audit.recruiter_id))
        .where(*conds)
        .order_by(*order)
    )
    total = paging.count_rows(session, Audit, *conds)
    return paging.offset_page(session, stmt, page=page, per_page=per_page, total=total)


def findings_page(
    session: Session, *, state: str, severity: str, page: int, per_page: int, as_of: date
) -> paging.ListPage:
    """Findings (rows of Finding, public id, legal name), soonest corrective action first: `open`,
    `overdue` (open past its due date at `as_of`) or `closed`; `severity` narrows to one severity."""
    conds: list[ColumnElement[bool]] = []
    if state in ("open", "overdue"):
        conds.append(col(Finding.closed_at).is_(None))
    if state == "overdue":
        conds.append(col(Finding.due_date) < as_of)
    elif state == "closed":
        conds.append(col(Finding.closed_at).is_not(None))
    if severity in Severity.__members__:
        conds.append(col(Finding.severity) == severity)
    stmt = (
        select(Finding, col(Recruiter.public_id), col(Recruiter.legal_name))
        .join(Recruiter, col(Recruiter.id) == col(Finding.recruiter_id))
        .where(*conds)
        .order_by(col(Finding.due_date).asc(), col(Finding.id))
    )
    total = paging.count_rows(session, Finding, *conds)
    return paging.offset_page(session, stmt, page=page, per_page=per_page, total=total)


def findings_of_audit(session: Session, audit_id: int) -> list[Finding]:
    return list(
        session.scalars(select(Finding).where(col(Finding.audit_id) == audit_id).order_by(col(Finding.id)))
    )


def of_recruiter(session: Session, recruiter_id: int) -> list[Audit]:
    """A recruiter's audits, latest planned first."""
    return list(
        session.scalars(
            select(Audit)
            .where(col(Audit.recruiter_id) == recruiter_id)
            .order_by(col(Audit.planned_date).desc(), col(Audit.id).desc())
        )
    )


def findings_of_recruiter(session: Session, recruiter_id: int) -> list[Finding]:
    """A recruiter's findings: open ones first, soonest due first."""
    return list(
        session.scalars(
            select(Finding)
            .where(col(Finding.recruiter_id) == recruiter_id)
            .order_by(col(Finding.closed_at).is_not(None), col(Finding.due_date), col(Finding.id))
        )
    )
