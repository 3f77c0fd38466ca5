"""Migrations are the only schema path: they must produce exactly what the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

import registry.models  # noqa: F401


def test_models_and_migrations_agree(engine):
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, SQLModel.metadata)
    assert diff == [], f"models and migrations differ: {diff}"


def test_upgrade_creates_every_table(engine):
    tables = set(inspect(engine).get_table_names())
    assert set(SQLModel.metadata.tables) <= tables
    assert "alembic_version" in tables


def test_db_upgrade_on_empty_sqlite_file(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from registry.cli import main

    db = tmp_path / "fresh.db"
    result = CliRunner().invoke(main, ["db", "upgrade"], env={"FAIRRECRUIT_DATABASE_URL": f"sqlite:///{db}"})
    assert result.exit_code == 0, result.output
    assert "revision" in result.output and db.exists()
    again = CliRunner().invoke(main, ["db", "upgrade"], env={"FAIRRECRUIT_DATABASE_URL": f"sqlite:///{db}"})
    assert again.exit_code == 0


def _downgrade(engine, revision: str) -> None:
    from alembic import command

    from registry.migrate import alembic_config

    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def test_0003_backfills_the_licence_keys_of_existing_rows(engine):
    """Rows written before the key columns existed get the keys the live function computes."""
    from sqlalchemy import text

    from registry.migrate import upgrade
    from registry.services.identifiers import licence_key

    numbers = ["licence no. 9002/080/081", "RL-৯০১৩", "", "NO LIMIT MANPOWER INC", "B-98014/MUM/PER"]
    _downgrade(engine, "0002")
    try:
        assert "licence_key" not in {c["name"] for c in inspect(engine).get_columns("recruiter")}
        with engine.begin() as conn:
            for i, number in enumerate(numbers, 1):
                conn.execute(
                    text(
                        "INSERT INTO recruiter (id, public_id, legal_name, other_names, country, "
                        "licence_authority, licence_number, sectors, contact_email, contact_phone, website, "
                        "address, licence_status, search_text, created_at, updated_at) VALUES (:i, :p, :n, "
                        "'[]', 'NP', 'DoFE', :num, '[]', '', '', '', '', 'unknown', '', :t, :t)"
                    ),
                    {"i": i, "p": f"RA-2222{i}", "n": f"Old Agency {i}", "num": number, "t": "2026-01-01"},
                )
                conn.execute(
                    text(
                        "INSERT INTO licence_record (id, authority, licence_number, name, status, raw_status,"
                        " imported_at) VALUES (:i, 'DoFE', :num, :n, 'valid', '', :t)"
                    ),
                    {"i": i, "num": number or f"x{i}", "n": f"Old Agency {i}", "t": "2026-01-01"},
                )
    finally:
        upgrade(engine)
    with engine.connect() as conn:
        for table in ("recruiter", "licence_record"):
            rows = conn.execute(text(f"SELECT licence_number, licence_key FROM {table} ORDER BY id")).all()
            assert [k for _n, k in rows] == [licence_key(n) for n, _k in rows], table
            assert rows[0][1] == "9002080081" and rows[1][1] == "rl9013"
        indexes = {i["name"] for i in inspect(conn).get_indexes("recruiter")}
        assert "ix_recruiter_licence_key" in indexes


def test_0004_keeps_existing_ledger_entries_as_plain_entries_and_goes_back(engine):
    """Ledger rows written before reversals existed become plain entries; the downgrade drops the new
    tables and columns."""
    from sqlalchemy import text

    from registry.migrate import upgrade

    _downgrade(engine, "0003")
    try:
        tables = set(inspect(engine).get_table_names())
        assert not {"report_event", "finding_event", "case_subscription"} & tables
        assert "kind" not in {c["name"] for c in inspect(engine).get_columns("repayment_entry")}
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO fee_report (id, case_code, submission_key, recruiter_text, category, amount, "
                    "currency, origin_country, destination_country, channel, triage_status, triage_note, "
                    "created_at) VALUES (1, 'FR-OLD1-OLD1', 'old-1', 'x', 'medical', 100, 'USD', 'NP', 'QA', "
                    "'telegram', 'substantiated', '', :t)"
                ),
                {"t": "2026-01-01"},
            )
            conn.execute(
                text(
                    "INSERT INTO repayment_entry (id, report_id, state, amount, currency, on_date, note, "
                    "created_by, created_at) VALUES (1, 1, 'claimed', 100, 'USD', :d, '', 'old', :t)"
                ),
                {"d": "2026-01-02", "t": "2026-01-02"},
            )
    finally:
        upgrade(engine)
    with engine.connect() as conn:
        row = conn.execute(text("SELECT kind, reverses_id, reason FROM repayment_entry")).one()
        assert tuple(row) == ("entry", None, "")
    assert {"report_event", "finding_event", "case_subscription"} <= set(inspect(engine).get_table_names())
