"""DriverReads.expect: a read announced ahead rides along with the next other read in one statement,
and is then answered with exactly the row it would have read on its own (both databases); every way it
cannot be carried (nothing read before it, no row for the carrier, other parameters, a second
carrier) reads it on its own. The API detail makes one database round trip for key and summary."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import bindparam, literal_column, select

from registry import db
from registry.db import DriverReads
from registry.services import auditlog, companies, fees, reports, standing
from registry.settings import CONFIG_DIR
from registry.timeutil import today
from tests import factories


@pytest.fixture
def counted(monkeypatch):
    """The statements DriverReads sends to the database, in order (their SQL's first words)."""
    sent: list[str] = []
    real = DriverReads._first

    def _first(self, stmt, params):
        sent.append(str(stmt).split("\n", 1)[0][:60])
        return real(self, stmt, params)

    monkeypatch.setattr(DriverReads, "_first", _first)
    return sent


@pytest.fixture
def world(session):
    rec = factories.accredited(session, other_names=["Carrier Manpower", "क्यारियर"])
    auditlog.set_actor(session, "test")
    fx = fees.fx_table(str(CONFIG_DIR / "fx_rates.csv"))
    for i in range(3):  # fee reports in the window: the carried row's counts are not all zero
        reports.submit(
            session,
            fees.ReportInput(
                category="recruitment_fee",
                amount="900",
                currency="USD",
                paid_on=today() - timedelta(days=30),
                destination_country="QA",
                origin_country="NP",
                recruiter_id=rec.id,
                consent=True,
            ),
            reporter_key=f"{i}" * 64,
            submission_key=f"carried-{i}",
            fx=fx,
        )
    company, _ = companies.get_or_create(session, "Buyer Ltd")
    key = companies.create_api_key(session, company, scopes=["read"]).plaintext
    session.commit()
    return rec, key


def _alone(engine, stmt, params):
    reads = DriverReads(engine)
    try:
        return reads.first(stmt, params)
    finally:
        reads.close()


def test_a_carried_read_answers_what_it_reads_alone_in_one_statement(engine, world, counted):
    rec, key = world
    for as_of in (today(), today() + timedelta(days=4000)):  # accredited, then lapsed
        for typed in (rec.public_id, rec.public_id.lower(), " " + rec.public_id.replace("-", " ") + " "):
            summary_stmt, params = standing.summary_read(typed, as_of=as_of)
            alone = _alone(engine, summary_stmt, params)
            in_window = (3, 3, 0) if as_of == today() else (0, 0, 0)  # reports, reporters, substantiated
            assert alone is not None and alone[16:19] == in_window
            counted.clear()
            reads = DriverReads(engine)
            try:
                reads.expect(summary_stmt, params)
                found = companies.authenticate_key(reads, key)
                assert len(counted) == 1  # the key and the summary in one statement
                assert reads.first(summary_stmt, dict(params)) == alone
                assert len(counted) == 1
                assert reads.first(summary_stmt, params) == alone  # asked again: read again
                assert len(counted) == 2
            finally:
                reads.close()
            assert found == companies.authenticate_key(_reads := DriverReads(engine), key)
            _reads.close()
    assert standing.summary_by_public_id(DriverReads(engine), rec.public_id, as_of=today()).other_names == (
        "Carrier Manpower",
        "क्यारियर",
    )


def test_an_unknown_recruiter_is_carried_as_no_row(engine, world, counted):
    _rec, key = world
    summary_stmt, params = standing.summary_read("RA-NONE9", as_of=today())
    reads = DriverReads(engine)
    try:
        reads.expect(summary_stmt, params)
        assert companies.authenticate_key(reads, key) is not None
        assert reads.first(summary_stmt, params) is None
        assert len(counted) == 1
    finally:
        reads.close()


def test_what_cannot_be_carried_is_read_alone(engine, world, counted):
    rec, key = world
    summary_stmt, params = standing.summary_read(rec.public_id, as_of=today())
    alone = _alone(engine, summary_stmt, params)
    reads = DriverReads(engine)
    try:
        # The carrier finds no row (an unknown key): the announced read runs on its own.
        reads.expect(summary_stmt, params)
        assert companies.authenticate_key(reads, "fr_live_nosuchpx_secret") is None
        assert reads.first(summary_stmt, params) == alone
        # Nothing read before it (a key the process remembers): on its own.
        counted.clear()
        reads.expect(summary_stmt, params)
        assert reads.first(summary_stmt, params) == alone and len(counted) == 1
        # Asked with other parameters than announced (the date moved on): on its own, with those.
        later = standing.summary_read(rec.public_id, as_of=today() + timedelta(days=4000))
        expected_later = _alone(engine, *later)
        counted.clear()
        reads.expect(summary_stmt, params)
        assert companies.authenticate_key(reads, key) is not None
        assert reads.first(*later) == expected_later
        assert len(counted) == 2 and counted[1].startswith("SELECT recruiter.id")
        # Only the next other read carries it: a second one reads its own row only.
        counted.clear()
        reads.expect(summary_stmt, params)
        assert companies.authenticate_key(reads, key) is not None
        assert companies.authenticate_key(reads, key) is not None
        assert reads.first(summary_stmt, params) == alone
        assert len(counted) == 2
    finally:
        reads.close()


def test_reads_sharing_a_parameter_name_are_not_carried_together():
    one = select(literal_column("1")).where(bindparam("x") == 1)
    other = select(literal_column("2")).where(bindparam("x") == 2)
    with pytest.raises(ValueError, match="share parameters"):
        db._joined(one, other)


@pytest.mark.parametrize("cache_seconds", [0, 60])
def test_the_api_detail_reads_key_and_summary_in_one_round_trip(
    settings, engine, world, counted, cache_seconds
):
    from registry import create_app

    rec, key = world
    app = create_app(settings.model_copy(update={"api_cache_seconds": cache_seconds}), engine=engine)
    client = app.test_client()
    auth = {"Authorization": f"Bearer {key}"}
    first = client.get(f"/api/v1/recruiters/{rec.public_id.lower()}", headers=auth)
    assert first.status_code == 200, first.get_json()
    assert len(counted) == 1
    body = first.get_json()
    assert body["public_id"] == rec.public_id and body["status"] == "accredited"
    assert body["other_names"] == ["Carrier Manpower", "क्यारियर"]
    # The order of answers stays: a bad key is 401 before an unknown recruiter is 404.
    bad = client.get("/api/v1/recruiters/RA-NONE9", headers={"Authorization": "Bearer fr_live_nokey_x"})
    assert bad.status_code == 401
    assert client.get("/api/v1/recruiters/RA-NONE9", headers=auth).status_code == 404
    assert client.get("/api/v1/recruiters/RA-NONE9").status_code == 401
    counted.clear()
    again = client.get(f"/api/v1/recruiters/{rec.public_id}", headers=auth)
    assert again.get_json() == body
    # Memory off: the key and the summary again in one statement. On: the process knows both.
    assert len(counted) == (1 if cache_seconds == 0 else 0)
