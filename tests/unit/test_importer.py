"""`recruiters import`: all-or-nothing CSV onboarding with line-numbered errors."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from registry.db import session_scope
from registry.models import Accreditation, AccreditationEvent, AuditLogEntry, Corridor, Recruiter
from registry.services import auditlog, auditlog_verify, importer, recruiters
from registry.settings import CONFIG_DIR
from tests import factories

EXAMPLE = CONFIG_DIR / "recruiters_import_example.csv"
HEADER = "legal_name,other_names,country,licence_authority,licence_number,corridors,sectors\n"


def _count(engine, model) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(model))


def test_example_file_imports_applicants_with_history_and_audit_log(engine):
    res = importer.import_file(engine, EXAMPLE)
    assert res.created == res.rows == 6
    with Session(engine) as session:
        recs = session.scalars(select(Recruiter).order_by(Recruiter.id)).all()
        assert len(recs) == 6
        first = recs[0]
        assert first.other_names == ["Saptarangi Overseas", "सप्तरंगी हिमाल"]
        assert first.licence_authority == "Department of Foreign Employment (DoFE)"
        assert recruiters.corridors_of(session, first.id) == [("NP", "MY"), ("NP", "QA")]
        assert first.sectors == ["construction", "hospitality"]
        assert set(session.scalars(select(Accreditation.status))) == {"applicant"}
        events = session.scalars(select(AccreditationEvent)).all()
        assert len(events) == 6 and all(e.from_status is None and e.to_status == "applicant" for e in events)
        assert session.scalar(select(func.count()).select_from(Corridor)) == res.corridors == 11
        assert (
            session.scalar(select(func.count()).select_from(AuditLogEntry)) == res.log_entries == 6 * 3 + 11
        )
        assert auditlog_verify.verify(session).ok
        assert auditlog.status_at(session, first.id, first.created_at)["status"] == "applicant"
        # Searchable at once, also by another name.
        hits = recruiters.search_recruiters(session, "Saptarangi Overseas")
        assert hits and hits[0][0].id == first.id
        assert recruiters.search_recruiters(session, "B-98014/MUM/PER")[0][0].country == "IN"


def test_a_bad_row_is_reported_with_its_line_and_nothing_is_applied(engine):
    text = HEADER + (
        "Good Agency One,,NP,DoFE,111/080/081,NP>QA,construction\n"
        "X,,ZZ,,,,\n"  # line 3: name too short, unknown country
        "Good Agency Two,,NP,DoFE,222/080/081,NP-QA,\n"  # line 4: bad corridor
        '"Good Agency\nThree",,BD,BMET,RL-98100,BD>SA,\n'  # lines 5-6: a quoted name over two lines
        "Good Agency Four,,NP,DoFE,444/080/081,NP>XX,\n"  # line 7: unknown corridor country
        "Good Agency Five,,NP,DoFE,555/080/081,,,extra\n"  # line 8: too many fields
    )
    with pytest.raises(importer.ImportRejected) as exc:
        importer.import_text(engine, text)
    errors = {e.line: e.message for e in exc.value.errors}
    assert set(errors) == {3, 4, 7, 8}
    assert "legal_name" in errors[3] and "'ZZ' is not an ISO 3166-1" in errors[3]
    assert "NP-QA" in errors[4] and "NP>QA" in errors[4]
    assert "'XX'" in errors[7]
    assert "fields" in errors[8]
    assert "nothing was imported" in exc.value.message and "line 3:" in exc.value.message
    assert _count(engine, Recruiter) == 0
    assert _count(engine, AuditLogEntry) == 0


def test_duplicates_inside_the_file_and_against_the_registry(engine):
    with session_scope(engine) as session:
        existing = factories.recruiter(
            session, name="Existing Bridge Overseas Pvt. Ltd.", licence="700/080/081"
        )
        pid = existing.public_id
    text = HEADER + (
        "Fresh Start Manpower Pvt. Ltd.,,NP,DoFE,900/080/081,,\n"
        "Another Name Entirely,,NP,DoFE,900/080/081,,\n"  # line 3: same licence as line 2
        "FRESH START MANPOWER PVT LTD,,NP,DoFE,901/080/081,,\n"  # line 4: same name as line 2
        "Fresh Start Manpower Pvt. Ltd.,,BD,BMET,RL-98200,,\n"  # other country: fine
        "Renamed Agency,,NP,DoFE,700/080/081,,\n"  # line 6: licence already registered
        "Existing Bridge Overseas,,NP,DoFE,,,\n"  # line 7: name already registered
    )
    with pytest.raises(importer.ImportRejected) as exc:
        importer.import_text(engine, text)
    errors = {e.line: e.message for e in exc.value.errors}
    assert set(errors) == {3, 4, 6, 7}
    assert "duplicate of line 2" in errors[3] and "licence" in errors[3]
    assert "duplicate of line 2" in errors[4] and "name" in errors[4]
    assert pid in errors[6] and pid in errors[7]
    assert _count(engine, Recruiter) == 1


def test_importing_the_same_file_twice_is_refused(engine):
    importer.import_file(engine, EXAMPLE)
    with pytest.raises(importer.ImportRejected) as exc:
        importer.import_file(engine, EXAMPLE)
    assert len(exc.value.errors) == 6 and all(
        "already in the registry" in e.message for e in exc.value.errors
    )
    assert _count(engine, Recruiter) == 6


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("", "empty"),
        ("name,country\nA Agency,NP\n", "unknown column(s) name"),
        ("legal_name,licence_number\nSome Agency,1\n", "missing required column(s): country"),
        (HEADER, "no recruiters"),
    ],
)
def test_unusable_files_get_a_clear_message(sqlite_engine, text, needle):
    with pytest.raises(importer.ImportRejected) as exc:
        importer.import_text(sqlite_engine, text)
    assert needle in exc.value.message
    assert _count(sqlite_engine, Recruiter) == 0


def test_dry_run_writes_nothing(sqlite_engine):
    res = importer.import_file(sqlite_engine, EXAMPLE, dry_run=True)
    assert res.rows == 6 and res.created == 0
    assert _count(sqlite_engine, Recruiter) == 0


def test_thousands_of_rows_in_one_go_with_progress(engine):
    n = 3000
    lines = [HEADER.strip()]
    for i in range(n):
        lines.append(f"Volume Agency {i} Pvt. Ltd.,Volume {i},NP,DoFE,V-{i:05d},NP>QA;NP>MY,construction")
    seen: list[tuple[str, int]] = []
    done: dict[str, int] = {}

    class Bar:
        def __init__(self, total, desc):
            self.desc = desc
            seen.append((desc, total))

        def update(self, k=1):
            done[self.desc] = done.get(self.desc, 0) + k

        def close(self):
            pass

    res = importer.import_text(engine, "\n".join(lines) + "\n", progress=Bar, batch=1000)
    assert res.created == n and res.corridors == 2 * n
    assert ("validate", n) in seen and ("import", n) in seen
    assert done == {"validate": n, "import": n}
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Recruiter)) == n
        assert len(set(session.scalars(select(Recruiter.public_id)))) == n
        assert auditlog_verify.verify(session).ok
    # The ORM keeps working after the bulk path (ids/sequences continue).
    with session_scope(engine) as session:
        assert factories.recruiter(session).id == n + 1


def test_a_file_that_is_not_utf8_is_refused_clearly(sqlite_engine, tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes(HEADER.encode() + "Agência Lusófona,,PH,DMW,X-1,,\n".encode("latin-1"))
    from registry.errors import InvalidInput

    with pytest.raises(InvalidInput, match="not UTF-8"):
        importer.import_file(sqlite_engine, path)
    assert _count(sqlite_engine, Recruiter) == 0
    # A UTF-8 file with a byte-order mark (as spreadsheet programs write it) is fine.
    path.write_bytes(b"\xef\xbb\xbf" + (HEADER + "Agência Lusófona,,PH,DMW,X-1,,\n").encode())
    assert importer.import_file(sqlite_engine, path).created == 1


def test_imported_rows_and_log_entries_are_those_of_create(engine):
    """The import writes what `recruiters.create` writes (one row builder), with the same log entries."""
    import json

    importer.import_text(engine, HEADER + "Imported Ridge Agency,,NP,DoFE,IR-1,NP>QA,construction\n")
    with session_scope(engine) as session:
        created = factories.recruiter(session, name="Created Ridge Agency", licence="CR-1")
    with Session(engine) as session:

        def entry(entity: str, actor: str) -> dict:
            stmt = select(AuditLogEntry.data).where(
                AuditLogEntry.entity == entity, AuditLogEntry.action == "create", AuditLogEntry.actor == actor
            )
            return json.loads(session.scalars(stmt).one())

        for entity in ("recruiter", "corridor", "accreditation", "accreditation_event"):
            imported, by_create = entry(entity, "cli:import"), entry(entity, "test")
            assert set(imported) == set(by_create), entity
        logged = entry("recruiter", "cli:import")
        assert (
            "search_text" not in logged and "licence_key" not in logged and logged["licence_number"] == "IR-1"
        )
        rec = session.scalars(select(Recruiter).where(Recruiter.legal_name == "Imported Ridge Agency")).one()
        other = session.get(Recruiter, created.id)
        assert (rec.licence_key, other.licence_key) == ("ir1", "cr1")
        assert rec.search_text == "imported ridge agency" and other.search_text == "created ridge agency"
        events = session.scalars(select(AccreditationEvent).order_by(AccreditationEvent.id)).all()
        assert [e.reason for e in events] == ["registered as applicant (import)", "registered as applicant"]


def test_the_official_address_and_phone_are_imported(engine):
    text = (
        "legal_name,country,licence_number,official_address,official_phone\n"
        'Orchard Test Overseas,BD,RL-99001,"Naya Paltan, Dhaka-1000",+880 2 0000000\n'
        "Plain Test Overseas,BD,RL-99002,,\n"
    )
    res = importer.import_text(engine, text)
    assert res.created == 2
    with Session(engine) as session:
        got = [
            (r.legal_name, r.official_address, r.official_phone)
            for r in session.scalars(select(Recruiter).order_by(Recruiter.id))
        ]
    assert got == [
        ("Orchard Test Overseas", "Naya Paltan, Dhaka-1000", "+880 2 0000000"),
        ("Plain Test Overseas", "", ""),
    ]
