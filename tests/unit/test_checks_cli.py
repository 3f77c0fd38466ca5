"""`fairrecruit checks run [NAME] [--as-of DATE]` prints what it changed; a second run changes nothing."""

from __future__ import annotations

from datetime import timedelta

from registry.services import accreditation
from tests import factories


def test_checks_run_prints_changes_and_second_run_is_quiet(cli, session):
    rec = factories.accredited(session)
    session.commit()
    after = (accreditation.get(session, rec.id).valid_until + timedelta(days=1)).isoformat()
    result = cli("checks", "run", "accreditation_expiry", "--as-of", after)
    assert result.exit_code == 0, result.output
    assert f"accreditation_expiry (as of {after}): 1 expired" in result.output
    assert f"{rec.public_id}: accredited -> expired" in result.output
    session.rollback()  # a fresh read transaction sees what the command committed
    assert accreditation.get(session, rec.id).status == "expired"

    again = cli("checks", "run", "--as-of", after)
    assert again.exit_code == 0
    assert "0 change(s) in total" in again.output
    for name in (
        "accreditation_expiry",
        "overdue_corrective_actions",
        "surveillance_due",
        "fee_report_signals",
        "licence_register",
        "retention",
    ):
        assert f"{name} (as of {after}): nothing to change" in again.output


def test_checks_run_refuses_unknown_name_and_bad_date(cli, session):
    bad = cli("checks", "run", "nonsense")
    assert bad.exit_code == 2 and "unknown check 'nonsense'" in bad.output
    bad = cli("checks", "run", "retention", "--as-of", "31/12/2026")
    assert bad.exit_code == 2 and "is not a date" in bad.output


def test_checks_list_shows_schedules(cli, session):
    out = cli("checks", "list").output
    assert "accreditation_expiry" in out and "10 0 * * *" in out
