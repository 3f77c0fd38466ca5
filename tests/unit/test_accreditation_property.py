"""Property: whatever sequence of legal and illegal moves is attempted, the stored state equals a
replay of the recorded history, and the audit log tells the same story."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from registry.errors import DomainError
from registry.models import AccreditationEvent
from registry.models.accreditation import AccreditationStatus
from registry.services import accreditation, auditlog, auditlog_verify, audits
from registry.timeutil import utcnow
from tests import factories

MOVES = st.one_of(
    st.tuples(st.just("decide"), st.sampled_from(sorted(accreditation.DECISIONS))),
    st.tuples(st.just("transition"), st.sampled_from([s.value for s in AccreditationStatus])),
    st.tuples(st.just("audit"), st.just("")),
    st.tuples(st.just("major"), st.just("")),
    st.tuples(st.just("close"), st.just("")),
)


def event_count(session, rid):
    return session.scalar(
        select(func.count()).select_from(AccreditationEvent).where(AccreditationEvent.recruiter_id == rid)
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(moves=st.lists(MOVES, max_size=14))
def test_state_always_equals_replay_of_history(session, moves):
    rec = factories.recruiter(session)
    session.commit()
    audit = None
    for kind, arg in moves:
        before_status = accreditation.get(session, rec.id).status
        before_events = event_count(session, rec.id)
        try:
            if kind == "decide":
                accreditation.decide(session, rec, arg, actor="prop@test", reason=f"property {arg}")
            elif kind == "transition":
                accreditation.transition(session, rec, arg, actor="prop@test", reason=f"property {arg}")
            elif kind == "audit":
                audit = factories.performed_audit(session, rec)
            elif kind == "major" and audit is not None:
                audits.add_finding(
                    session, audit, principle="P1", severity="major", description="fee charged"
                )
            elif kind == "close":
                for f in audits_open(session, rec.id):
                    audits.close_finding(session, f, evidence="repaid", actor="prop@test")
            session.commit()
        except DomainError:
            session.rollback()
            # an illegal move changes nothing
            assert accreditation.get(session, rec.id).status == before_status
            assert event_count(session, rec.id) == before_events
        stored = accreditation.get(session, rec.id).status
        history = [(e.from_status, e.to_status) for e in accreditation.history(session, rec.id)]
        assert stored == accreditation.replay(history)
        assert auditlog.status_at(session, rec.id, utcnow())["status"] == stored
    assert auditlog_verify.verify(session).ok


def audits_open(session, rid):
    from registry.models import Finding

    return list(
        session.scalars(select(Finding).where(Finding.recruiter_id == rid, Finding.closed_at.is_(None)))
    )
