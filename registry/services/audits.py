"""Audits, findings and corrective actions."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import ColumnElement, select
from sqlmodel import Session, col

from registry.errors import InvalidInput, NotFound
from registry.models import Audit, Finding, Recruiter
from registry.models.audits import AuditKind, AuditOutcome, Principle, Severity
from registry.services import paging
from registry.timeutil import today, utcnow


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
    assert recruiter.id is not None
    audit = Audit(
        recruiter_id=recruiter.id,
        kind=kind,
        planned_date=planned_date,
        certification_body=certification_body.strip(),
        lead_auditor=lead_auditor.strip(),
        created_by=actor,
    )
    session.add(audit)
    session.flush()
    return audit


def open_audit(session: Session, recruiter_id: int) -> Audit | None:
    """The most recent audit not yet performed, if any."""
    return session.scalars(
        select(Audit)
        .where(col(Audit.recruiter_id) == recruiter_id, col(Audit.performed_date).is_(None))
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
    if performed_date > today():
        raise InvalidInput(
            "the performed date cannot be in the future", field="performed_date", code="date_in_future"
        )
    audit.performed_date = performed_date
    audit.outcome = outcome
    audit.summary = summary.strip()
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
    if not description.strip():
        raise InvalidInput("describe the finding", field="description", code="description_required")
    if due_date is None:
        due_date = default_due_date(severity, major_days=major_days, minor_days=minor_days)
    assert audit.id is not None
    finding = Finding(
        audit_id=audit.id,
        recruiter_id=audit.recruiter_id,
        principle=principle,
        severity=severity,
        description=description.strip(),
        corrective_action=corrective_action.strip(),
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
    if not (evidence or "").strip():
        raise InvalidInput(
            "closing a corrective action needs an evidence note", field="evidence", code="evidence_required"
        )
    finding.closed_at = utcnow()
    finding.closed_by = actor
    finding.closure_evidence = evidence.strip()
    session.flush()
    return finding


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

AUDIT_STATES = ("planned", "due30", "performed")  # anything else: every audit
FINDING_STATES = ("open", "overdue", "closed")  # anything else: every finding


def list_page(
    session: Session, *, state: str, kind: str, page: int, per_page: int, as_of: date
) -> paging.ListPage:
    """Audits (rows of Audit, public id, legal name): planned ones soonest first (`due30`: within 30
    days of `as_of`), performed ones latest first; `kind` narrows to one kind of audit."""
    conds: list[ColumnElement[bool]] = []
    if state == "planned":
        conds.append(col(Audit.performed_date).is_(None))
    elif state == "due30":
        conds += [col(Audit.performed_date).is_(None), col(Audit.planned_date) <= as_of + timedelta(days=30)]
    elif state == "performed":
        conds.append(col(Audit.performed_date).is_not(None))
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
