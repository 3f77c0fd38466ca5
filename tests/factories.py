"""Factories for test data (invented names only; real register names are used for search only)."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

from sqlmodel import Session

from registry.models import Recruiter
from registry.services import accreditation, auditlog, audits, recruiters
from registry.services.recruiters import RecruiterInput
from registry.timeutil import today

_n = itertools.count(1)


def recruiter(
    session: Session,
    *,
    name: str | None = None,
    country: str = "NP",
    licence: str | None = None,
    other_names: list[str] | None = None,
    corridors=(("NP", "QA"),),
    actor: str = "test",
) -> Recruiter:
    i = next(_n)
    auditlog.set_actor(session, actor)
    return recruiters.create(
        session,
        RecruiterInput(
            legal_name=name or f"Testfield Placement {i} Pvt. Ltd.",
            other_names=other_names or [],
            country=country,
            licence_authority="DoFE" if country == "NP" else "TEST",
            licence_number=licence or f"T-{i:05d}",
            corridors=list(corridors),
        ),
        actor=actor,
    )


def performed_audit(session: Session, rec: Recruiter, *, kind: str = "initial", on: date | None = None):
    audit = audits.plan(
        session,
        rec,
        kind=kind,
        planned_date=(on or today()) - timedelta(days=1),
        certification_body="Test CB",
        lead_auditor="A. Auditor",
        actor="test",
    )
    audits.record_outcome(session, audit, performed_date=on or today(), outcome="conforming")
    return audit


def accredited(session: Session, **kw) -> Recruiter:
    rec = recruiter(session, **kw)
    performed_audit(session, rec)
    accreditation.decide(session, rec, "accredit", actor="test", reason="initial audit conforming")
    return rec
