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
