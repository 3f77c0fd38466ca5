"""Invisible controls in the recruiters import and the licence register import: a row error naming
the column and the character, and nothing is stored."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from registry.models import LicenceRecord, Recruiter
from registry.services import importer

HEADER = "legal_name,other_names,country,licence_authority,licence_number,corridors,sectors\n"
CHARACTERS = ["\u202e", "\x00", "\u200f"]
IDS = ["U+202E", "U+0000", "U+200F"]


def _count(engine, model) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize("ch", CHARACTERS, ids=IDS)
def test_a_recruiters_import_row_with_a_control_is_a_row_error(engine, ch):
    code = f"U+{ord(ch):04X}"
    text = HEADER + (
        "Good Agency One,,NP,DoFE,111/080/081,NP>QA,construction\n"
        f"Good{ch} Agency Two,,NP,DoFE,222/080/081,,\n"  # line 3
        f"Good Agency Three,Three{ch} Agency;Agency 3,NP,DoFE,333/080/081,,\n"  # line 4
        f"Good Agency Four,,NP,DoFE,444{ch}/080/081,,\n"  # line 5
        f"Good Agency Five,,NP,Do{ch}FE,555/080/081,,domestic{ch} work\n"  # line 6
    )
    with pytest.raises(importer.ImportRejected) as exc:
        importer.import_text(engine, text)
    errors = {e.line: e.message for e in exc.value.errors}
    assert set(errors) == {3, 4, 5, 6}
    message = f"contains the invisible control character {code}, which is not allowed"
    assert errors[3] == f"legal_name: {message}"
    assert errors[4] == f"other_names: {message}"
    assert errors[5] == f"licence_number: {message}"
    assert errors[6] == f"licence_authority: {message}; sectors: {message}"
    assert _count(engine, Recruiter) == 0


def test_a_recruiters_import_stores_names_in_nfc(engine):
    importer.import_text(engine, HEADER + "Cafe\u0301 Placement,,NP,DoFE,111/080/081,,\n")
    with Session(engine) as session:
        assert session.scalars(select(Recruiter.legal_name)).one() == "Caf\u00e9 Placement"


@pytest.mark.parametrize("ch", CHARACTERS, ids=IDS)
def test_the_import_command_lists_the_row_and_imports_nothing(cli, engine, tmp_path, ch):
    f = tmp_path / "recruiters.csv"
    f.write_text(HEADER + f"Good Agency One,,NP,DoFE,111/080/081,,\nGood{ch} Agency Two,,NP,DoFE,2,,\n")
    result = cli("recruiters", "import", str(f))
    assert result.exit_code != 0
    assert f"line 3: legal_name: contains the invisible control character U+{ord(ch):04X}" in result.output
    assert _count(engine, Recruiter) == 0


@pytest.mark.parametrize("ch", CHARACTERS, ids=IDS)
def test_a_licence_register_row_with_a_control_is_a_row_error_and_nothing_is_applied(
    cli, session, tmp_path, ch
):
    message = f"contains the invisible control character U+{ord(ch):04X}, which is not allowed"
    f = tmp_path / "register.csv"
    f.write_text(
        "licence_number,name,status,valid_until\n"
        "NP-1,Alpha Placement,valid,2030-01-01\n"
        f"NP-2,Beta{ch} Placement,valid,2030-01-01\n"
        f"NP-3{ch},Gamma Placement,valid,2030-01-01\n"
        f"NP-4,Delta Placement,{ch}valid,2030-01-01\n"
    )
    result = cli("licences", "import", str(f), "--authority", "DoFE")
    assert result.exit_code == 1
    assert f"line 3: the name {message}" in result.output
    assert f"line 4: the licence number {message}" in result.output
    assert f"line 5: the status {message}" in result.output
    assert "3 bad row(s); nothing was imported" in result.output
    assert session.scalar(select(func.count()).select_from(LicenceRecord)) == 0
    # The same rows without the characters import.
    f.write_text(f.read_text().replace(ch, ""))
    assert cli("licences", "import", str(f), "--authority", "DoFE").exit_code == 0
    session.rollback()  # a new snapshot
    assert session.scalar(select(func.count()).select_from(LicenceRecord)) == 4
