"""Every matcher compares identifiers on their stored key, however either side was typed.

Search, bulk verify, duplicate checks (admin form and recruiters import), licence register sync
and the volume seed: on SQLite and PostgreSQL.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlmodel import Session

from registry.db import session_scope
from registry.models import LicenceRecord, Recruiter
from registry.seed import volume
from registry.services import fees, importer, recruiters, verification
from registry.services import licences as L
from registry.services.identifiers import licence_key
from registry.services.recruiters import RecruiterInput
from registry.settings import CONFIG_DIR
from tests import factories

# (stored spelling, typed spellings)
SPELLINGS = [
    ("9002/080/081", ["licence no. 9002/080/081", "९००२-०८०-०८१", "9002 080 081"]),
    ("RL-9013", ["rl9013", "লাইসেন্স নং RL-৯০১৩", "Lic. RL 9013"]),
]


@pytest.fixture
def registered(session):
    recs = {
        stored: factories.recruiter(session, name=f"Keyfield Agency {i}", licence=stored)
        for i, (stored, _typed) in enumerate(SPELLINGS)
    }
    session.commit()
    return recs


def test_create_and_update_write_the_key(session, registered):
    rec = registered["RL-9013"]
    assert rec.licence_key == "rl9013"
    recruiters.update(
        session,
        rec,
        RecruiterInput(legal_name=rec.legal_name, country="NP", licence_number="RL-9014"),
        actor="test",
    )
    session.commit()
    assert session.scalar(select(Recruiter.licence_key).where(Recruiter.id == rec.id)) == "rl9014"


def test_search_finds_a_licence_however_it_is_typed(session, registered):
    for stored, typed in SPELLINGS:
        for q in typed:
            hits = recruiters.search_recruiters(session, q)
            assert hits and hits[0] == (registered[stored], 100.0), q


def test_search_finds_a_public_id_without_its_prefix(session, registered):
    rec, other = registered["RL-9013"], registered["9002/080/081"]
    rec.public_id, other.public_id = "RA-7K3Q9", "RA-PQRST"
    session.commit()
    for q in ("RA-7K3Q9", "ra 7k3q9", "RA7K3Q9", "7k3q9", "7K3 Q9", "ＲＡ－７Ｋ３Ｑ９"):
        assert recruiters.search_recruiters(session, q)[0] == (rec, 100.0), q
    assert recruiters.search_recruiters(session, "ra-pqrst")[0] == (other, 100.0)
    # A bare code needs a digit: a five-letter word is a name, never an id.
    assert recruiters.search_recruiters(session, "pqrst") == []


def test_bulk_verify_matches_on_the_key(session, registered):
    pairs = [("np", q) for _stored, typed in SPELLINGS for q in typed] + [
        ("BD", "RL-9013"),
        ("NP", "RL-9031"),
    ]
    results = verification.verify_licences(session, pairs)
    expected = [registered[stored].public_id for stored, typed in SPELLINGS for _q in typed] + [None, None]
    assert [r["public_id"] for r in results] == expected
    assert [r["input"] for r in results] == [{"country": c, "number": n} for c, n in pairs]


def test_duplicate_checks_match_on_the_key(session, registered, engine):
    data = RecruiterInput(legal_name="Entirely Different Name", country="NP", licence_number="rl ৯০১৩")
    assert recruiters.find_duplicates(session, data) == [registered["RL-9013"]]
    header = "legal_name,country,licence_number\n"
    with pytest.raises(importer.ImportRejected) as exc:
        importer.import_text(
            engine,
            header
            + "Newcomer One,NP,licence no. 9002-080-081\nNewcomer Two,NP,RL 7\nNewcomer Three,NP,rl-7\n",
        )
    errors = {e.line: e.message for e in exc.value.errors}
    assert set(errors) == {2, 4}
    assert registered["9002/080/081"].public_id in errors[2]
    assert "duplicate of line 3" in errors[4]


def test_import_writes_the_key(engine):
    importer.import_text(engine, "legal_name,country,licence_number\nKeyed Import Agency,NP,Lic. ९९/०८०\n")
    with Session(engine) as session:
        assert session.scalars(select(Recruiter.licence_key)).one() == "99080"


def test_licence_sync_matches_on_the_key(session, settings, tmp_path):
    rec = factories.accredited(session, licence="लाइसेन्स नं. ९००२/०८०/०८१")
    session.commit()
    f = tmp_path / "np.csv"
    f.write_text("licence_number,name,status,valid_until\n9002-080-081,Keyfield Agency,revoked,2030-01-01\n")
    m = L.mapping_for("DoFE")
    result = L.apply(session, L.parse(f.read_text(), m), m, settings=settings)
    session.commit()
    assert result.recruiters_matched == 1
    record = session.scalars(select(LicenceRecord)).one()
    assert record.licence_key == rec.licence_key == "9002080081"
    session.expire_all()
    assert rec.licence_status == "cancelled"
    assert [r.id for r in recruiters.search_licence_records(session, "licence no. ९००२/०८०/०८१")] == [
        record.id
    ]


def test_volume_seed_writes_the_key(engine):
    fx = fees.fx_table(str(CONFIG_DIR / "fx_rates.csv"))
    volume.load(engine, recruiters=20, reports=0, pseudonym_key="k" * 20, fx=fx, seed=1)
    with session_scope(engine) as session:
        rows = session.execute(select(Recruiter.licence_number, Recruiter.licence_key)).all()
    assert len(rows) == 20 and all(key == licence_key(number) != "" for number, key in rows)
