"""Licence register import: real register extracts through their mappings, bad files apply nothing,
changes drive alerts, suspensions and licence_changed events."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from registry.models import Alert, LicenceRecord, OutboxMessage, SupplierLink, WebhookEndpoint
from registry.services import accreditation, companies
from registry.services import licences as L
from registry.services.identifiers import licence_key
from registry.settings import CONFIG_DIR
from tests import factories

REGISTERS = CONFIG_DIR / "registers"
PH = REGISTERS / "ph_dmw_licensed_agencies_sample_2026-07-14.csv"
BD_RL = REGISTERS / "bd_recruiting_agencies_rl_directory_2023.csv"
BD_MLA = REGISTERS / "bd_shipping_manning_agents_mla.csv"
AS_OF = date(2026, 7, 14)


def parse(path: Path, authority: str, as_of=AS_OF):
    text, fmt = L.read_file(path)
    return L.parse(text, L.mapping_for(authority), fmt=fmt, as_of=as_of)


def records(session, authority):
    return {
        r.licence_number: r
        for r in session.scalars(select(LicenceRecord).where(LicenceRecord.authority == authority))
    }


def test_name_key_is_stable_across_punctuation_and_rename_notes():
    assert (
        L.name_key("1015 BRILLIANT MINDS INC.")
        == L.name_key("1015 BRILLIANT MINDS INC")
        == "1015 BRILLIANT MINDS INC"
    )
    assert L.name_key("101 MOJO INT`L. CORPORATION") == "101 MOJO INTL CORPORATION"
    assert (
        L.name_key("1ST AKCES MANPOWER INC (FORMERLY CHAYAN MAN PROMOTION PHILS INTERNATIONAL")
        == "1ST AKCES MANPOWER INC"
    )
    assert (
        L.name_key('"2000 MILES PLACEMENT AGENCY, INC. (FOR:GEOSONS PLCT AGENCY, INC)"')
        == "2000 MILES PLACEMENT AGENCY INC"
    )
    assert licence_key("rl 0010") == licence_key("RL-0010") == "rl0010"


def test_every_dmw_status_word_is_mapped():
    m = L.mapping_for("DMW")
    published = [
        "Valid License",
        "Valid License - Provisional",
        "Expired",
        "Cancelled",
        "Delisted",
        "Denied Renewal",
        "Forever Banned",
        "Ceased Operations",
        "Inactive",
    ]
    assert {w: m.map_status(w) for w in published} == {
        "Valid License": "valid",
        "Valid License - Provisional": "valid",
        "Expired": "expired",
        "Cancelled": "cancelled",
        "Delisted": "delisted",
        "Denied Renewal": "expired",
        "Forever Banned": "banned",
        "Ceased Operations": "delisted",
        "Inactive": "suspended",
    }
    assert m.key == "name"


def test_real_philippines_extract_parses_with_duplicates_resolved():
    p = parse(PH, "DMW")
    assert p.errors == []
    assert len(p.rows) == 55  # 56 rows, two of them the same agency
    by_key = {r.licence_number: r for r in p.rows}
    assert by_key["1015 BRILLIANT MINDS INC"].status == "valid"  # the later, provisional licence wins
    assert by_key["1015 BRILLIANT MINDS INC"].raw_status == "Valid License - Provisional"
    assert any("1015 BRILLIANT MINDS INC" in n for n in p.notes)
    assert by_key["A & L MANAGEMENT MANPOWER SERVICES"].status == "banned"
    assert by_key["A CONSTEEL CONSTRUCTION COMPANY INC"].status == "suspended"  # Inactive
    assert by_key["3 RS OVERSEAS PLACEMENT CORPORATION"].valid_until is None  # 1901-01-01 placeholder
    # a "Valid License" whose expiration date has passed counts as expired on a later date
    later = {r.licence_number: r for r in parse(PH, "DMW", as_of=date(2026, 10, 1)).rows}
    assert by_key["ABCA INTERNATIONAL CORPORATION"].status == "valid"
    assert later["ABCA INTERNATIONAL CORPORATION"].status == "expired"


def test_real_bangladesh_lists_parse():
    rl = parse(BD_RL, "BMET")
    assert rl.errors == [] and len(rl.rows) == 506
    assert rl.notes == ["line 225: skipped, no licence number ('KBS Global Trade & HR Solutions')"]
    assert {r.status for r in rl.rows} == {"valid"}
    mla = parse(BD_MLA, "BD-MLA", as_of=date(2026, 7, 14))
    assert mla.errors == [] and len(mla.rows) == 83
    by = {r.licence_number: r for r in mla.rows}
    assert by["MLA-002"].status == "expired" and by["MLA-002"].valid_until == date(2026, 5, 26)
    assert by["MLA-022"].status == "valid"
    assert "suspended" in {r.status for r in mla.rows}


def test_import_real_register_matches_by_authority_and_number_and_drives_effects(session, settings):
    # invented recruiters that hold licence numbers of the (real) register; names are our own
    ok = factories.accredited(session, country="BD", licence="MLA 022")
    expired = factories.accredited(session, country="BD", licence="mla-002")
    other_authority = factories.accredited(session, country="BD", licence="MLA-014")
    for r in (ok, expired):
        r.licence_authority = "DOS-BD"
    company, _ = companies.get_or_create(session, "Ocean Freight Buyers")
    session.add(SupplierLink(company_id=company.id, recruiter_id=expired.id))
    session.add(WebhookEndpoint(company_id=company.id, url="http://127.0.0.1:9/", secret="x" * 32))
    session.commit()

    parsed = parse(BD_MLA, "BD-MLA")
    result = L.apply(session, parsed, L.mapping_for("BD-MLA"), settings=settings, as_of=AS_OF)
    session.commit()
    assert result.records_added == 83 and result.recruiters_matched == 2
    assert sorted(result.recruiters_changed) == sorted(
        [f"{ok.public_id}: licence unknown -> valid", f"{expired.public_id}: licence unknown -> expired"]
    )
    session.expire_all()
    assert (ok.licence_status, expired.licence_status, other_authority.licence_status) == (
        "valid",
        "expired",
        "unknown",
    )
    assert accreditation.get(session, expired.id).status == "suspended"
    assert accreditation.get(session, ok.id).status == "accredited"
    assert session.scalars(select(Alert.key)).all() == [f"licence:{expired.id}:expired"]
    events = sorted(session.scalars(select(OutboxMessage.event_type)))
    assert events == ["recruiter.alert_raised", "recruiter.licence_changed", "recruiter.status_changed"]
    licence_msg = session.scalars(
        select(OutboxMessage).where(OutboxMessage.event_type == "recruiter.licence_changed")
    ).one()
    assert licence_msg.payload["data"]["licence"]["to"] == "expired"

    # the same file again changes nothing
    before = session.scalar(select(func.count()).select_from(OutboxMessage))
    again = L.apply(session, parse(BD_MLA, "BD-MLA"), L.mapping_for("BD-MLA"), settings=settings, as_of=AS_OF)
    session.commit()
    assert (again.records_added, again.records_changed, again.recruiters_changed, again.effects) == (
        0,
        0,
        [],
        [],
    )
    assert session.scalar(select(func.count()).select_from(OutboxMessage)) == before


def test_import_philippines_by_name_key(session, settings):
    rec = factories.accredited(session, country="PH", licence="1022 Maritime Services Corporation")
    rec.licence_authority = "POEA"  # an alias of DMW
    session.commit()
    L.apply(session, parse(PH, "DMW"), L.mapping_for("DMW"), settings=settings, as_of=AS_OF)
    session.commit()
    session.expire_all()
    assert rec.licence_status == "delisted"  # Ceased Operations
    assert accreditation.get(session, rec.id).status == "suspended"
    assert len(records(session, "DMW")) == 55


def test_changed_register_updates_records(session, settings, tmp_path):
    f = tmp_path / "np.csv"
    f.write_text("licence_number,name,status,valid_until\nNP-1,Alpha Placement,valid,2030-01-01\n")
    m = L.mapping_for("DoFE")
    rec = factories.accredited(session, licence="np 1")
    session.commit()
    L.apply(session, L.parse(f.read_text(), m, as_of=AS_OF), m, settings=settings, as_of=AS_OF)
    session.commit()
    f.write_text("licence_number,name,status,valid_until\nNP-1,Alpha Placement,revoked,2030-01-01\n")
    r = L.apply(session, L.parse(f.read_text(), m, as_of=AS_OF), m, settings=settings, as_of=AS_OF)
    session.commit()
    assert r.records_changed == 1
    assert records(session, "DoFE")["NP-1"].status == "cancelled"
    assert records(session, "DoFE")["NP-1"].raw_status == "revoked"
    session.expire_all()
    assert rec.licence_status == "cancelled" and accreditation.get(session, rec.id).status == "suspended"


def test_json_register_with_line_numbers(tmp_path):
    doc = [
        {"licence_number": "X-1", "name": "Alpha", "status": "valid", "valid_until": "2030-01-01"},
        {"licence_number": "X-2", "name": "Beta", "status": "nope", "valid_until": None},
        {"licence_number": "X-3", "name": "", "status": "expired", "valid_until": "2020-02-30"},
    ]
    text = json.dumps(doc, indent=2)
    p = L.parse(text, L.mapping_for("Somewhere"), fmt="json", as_of=AS_OF)
    assert [(e.line, e.message.split(" (")[0]) for e in p.errors] == [
        (8, "unknown status 'nope'"),
        (14, "the name is empty; valid-until '2020-02-30' is not a date"),
    ]
    good = L.parse(json.dumps({"records": doc[:1]}), L.mapping_for("Somewhere"), fmt="json", as_of=AS_OF)
    assert good.errors == [] and good.rows[0].licence_number == "X-1"


# --- command line ----------------------------------------------------------------------------------


def test_cli_bad_file_applies_nothing_and_lists_each_bad_row(cli, session, tmp_path):
    f = tmp_path / "bad.csv"
    f.write_text(
        "licence_number,name,status,valid_until\n"
        "NP-1,Alpha Placement,valid,2027-01-01\n"
        ",Beta Placement,valid,2027-01-01\n"
        "NP-3,Gamma Placement,weird,2027-01-01\n"
        'NP-4,"Delta\nPlacement",valid,2027-13-01\n'
        "NP-1,Alpha again,valid,\n"
    )
    result = cli("licences", "import", str(f), "--authority", "DoFE")
    assert result.exit_code == 1
    out = result.output
    assert "line 3: the licence number is empty" in out
    assert "line 4: unknown status 'weird'" in out
    assert "line 5: valid-until '2027-13-01' is not a date" in out
    assert "line 7: licence number 'NP-1' repeats line 2" in out
    assert "4 bad row(s); nothing was imported" in out
    assert session.scalar(select(func.count()).select_from(LicenceRecord)) == 0


def test_cli_missing_columns_is_refused(cli, session, tmp_path):
    f = tmp_path / "cols.csv"
    f.write_text("number,agency\nX,Y\n")
    result = cli("licences", "import", str(f), "--authority", "Elsewhere")
    assert result.exit_code == 1 and "line 1: missing column(s) licence_number, name" in result.output


def test_cli_dry_run_then_import(cli, session):
    result = cli("licences", "import", str(PH), "--authority", "DMW", "--as-of", "2026-07-14", "--dry-run")
    assert result.exit_code == 0, result.output
    assert (
        "DMW: 55 rows, 55 new, 0 changed" in result.output and "dry run: nothing was changed" in result.output
    )
    assert "101 MOJO INTL CORPORATION" in result.output
    assert session.scalar(select(func.count()).select_from(LicenceRecord)) == 0
    result = cli("licences", "import", str(PH), "--authority", "DMW", "--as-of", "2026-07-14")
    assert result.exit_code == 0, result.output
    assert "licence records 55 new" in result.output
    session.rollback()  # end the test's read transaction (SQLite keeps its snapshot until then)
    assert session.scalar(select(func.count()).select_from(LicenceRecord)) == 55


@pytest.mark.parametrize("path,authority,rows", [(BD_RL, "BMET", 506), (BD_MLA, "BD-MLA", 83)])
def test_cli_imports_the_bangladesh_lists(cli, session, path, authority, rows):
    result = cli("licences", "import", str(path), "--authority", authority, "--as-of", "2026-07-14")
    assert result.exit_code == 0, result.output
    assert f"{rows} rows; licence records {rows} new" in result.output
