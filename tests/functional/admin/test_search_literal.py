"""What a person types into the admin panel's search boxes is matched literally: `%` and `_` are
characters to find, not wildcards (the fee-report queue's recruiter box, the audit log's actor box)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session

from registry.services import auditlog, fees, reports
from registry.services.fees import ReportInput
from registry.services.paging import like_escape
from registry.settings import CONFIG_DIR


def test_like_escape_escapes_wildcards_and_the_escape_character():
    assert like_escape("100%_a\\b") == "100\\%\\_a\\\\b"
    assert like_escape("plain text") == "plain text"


def _report(s, text: str, key: str):
    report, _ = reports.submit(
        s,
        ReportInput(
            category="recruitment_fee",
            amount="1000",
            currency="NPR",
            paid_on=date(2025, 3, 1),
            destination_country="QA",
            origin_country="NP",
            recruiter_text=text,
            consent=True,
        ),
        reporter_key=key * 64,
        submission_key=key,
        fx=fees.fx_table(str(CONFIG_DIR / "fx_rates.csv")),
    )
    return report


@pytest.fixture
def typed_names(engine):
    with Session(engine, expire_on_commit=False) as s:
        auditlog.set_actor(s, "test")
        made = {
            text: _report(s, text, key).case_code
            for text, key in (("100% Placement", "a"), ("Gulf_Jobs", "b"), ("Gulf Jobs", "c"), ("Plain", "d"))
        }
        s.commit()
    return made


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("%", {"100% Placement"}),
        ("_", {"Gulf_Jobs"}),
        ("gulf_", {"Gulf_Jobs"}),
        ("GULF", {"Gulf_Jobs", "Gulf Jobs"}),
    ],
)
def test_report_queue_recruiter_box_matches_wildcards_literally(as_viewer, typed_names, typed, expected):
    html = as_viewer.get("/admin/reports", query_string={"status": "", "recruiter": typed}).get_data(
        as_text=True
    )
    shown = {text for text, case in typed_names.items() if case in html}
    assert shown == expected


def test_audit_log_actor_box_matches_wildcards_literally(as_viewer, engine):
    with Session(engine, expire_on_commit=False) as s:
        for actor, key in (("ops_team@example.org", "e"), ("opsXteam@example.org", "f")):
            auditlog.set_actor(s, actor)
            _report(s, f"Agency {key}", key)
            s.commit()
    for typed, wanted, unwanted in (("ops_", "ops_team@", "opsXteam@"), ("%", None, "team@example.org")):
        html = as_viewer.get("/admin/audit-log", query_string={"actor": typed}).get_data(as_text=True)
        if wanted:
            assert wanted in html
        assert unwanted not in html
