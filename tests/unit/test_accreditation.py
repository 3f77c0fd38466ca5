from __future__ import annotations

import pytest
from sqlalchemy import func, select

from registry.errors import IllegalTransition, InvalidInput
from registry.models import AccreditationEvent
from registry.services import accreditation, audits
from tests import factories


def test_new_recruiter_is_applicant(session):
    rec = factories.recruiter(session)
    session.commit()
    assert accreditation.get(session, rec.id).status == "applicant"
    assert [(e.from_status, e.to_status) for e in accreditation.history(session, rec.id)] == [
        (None, "applicant")
    ]


def test_accredit_requires_performed_audit(session):
    rec = factories.recruiter(session)
    with pytest.raises(IllegalTransition, match="performed audit"):
        accreditation.decide(session, rec, "accredit", actor="a@x.org", reason="ok")
    assert accreditation.get(session, rec.id).status == "applicant"


def test_accredit_refused_with_open_major_finding_then_allowed(session):
    rec = factories.recruiter(session)
    audit = factories.performed_audit(session, rec)
    finding = audits.add_finding(
        session, audit, principle="P2", severity="major", description="passports kept"
    )
    with pytest.raises(IllegalTransition, match="major finding"):
        accreditation.decide(session, rec, "accredit", actor="a@x.org", reason="ok")
    audits.close_finding(session, finding, evidence="passports returned, policy changed", actor="a@x.org")
    d = accreditation.decide(session, rec, "accredit", actor="a@x.org", reason="audit conforming")
    assert d.accreditation.status == "accredited"
    assert d.accreditation.valid_until.year == d.accreditation.valid_from.year + 3
    assert d.event.audit_id == audit.id and d.event.actor == "a@x.org"


def test_illegal_move_changes_nothing(session):
    rec = factories.accredited(session)
    session.commit()
    before = session.scalar(select(func.count()).select_from(AccreditationEvent))
    with pytest.raises(IllegalTransition):
        accreditation.transition(session, rec, "applicant", actor="x", reason="nope")
    with pytest.raises(InvalidInput):
        accreditation.decide(session, rec, "suspend", actor="x", reason="  ")
    assert accreditation.get(session, rec.id).status == "accredited"
    assert session.scalar(select(func.count()).select_from(AccreditationEvent)) == before
