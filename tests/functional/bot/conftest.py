"""Fixtures for the bot: a fake Bot API server and the real Application polling it."""

from __future__ import annotations

import pytest

from registry.settings import Settings
from tests.functional.bot.harness import BotHarness


def bot_settings(tmp_path, engine, lookup_processes: int = 0) -> Settings:
    """The bot's settings; lookups in its own threads unless `lookup_processes` (test_lookups.py starts
    real lookup processes; every other test would pay a process start for nothing)."""
    return Settings(
        env="test",
        bot_lookup_processes=lookup_processes,
        var_dir=tmp_path / "var",
        database_url=engine.url.render_as_string(hide_password=False),
        secret_key="test-secret-key-0123456789",
        pseudonym_key="test-pseudonym-key-0123456789",
        public_base_url="http://testserver",
    )


@pytest.fixture
def bot(tmp_path, sqlite_engine):
    """The bot on SQLite (for flows whose subject is not the database)."""
    h = BotHarness(bot_settings(tmp_path, sqlite_engine), sqlite_engine).start()
    yield h
    h.stop()


@pytest.fixture
def bot_db(tmp_path, engine):
    """The bot on each database (SQLite and PostgreSQL): for reports, duplicates and failures."""
    h = BotHarness(bot_settings(tmp_path, engine), engine).start()
    yield h
    h.stop()


@pytest.fixture
def registry_data(bot):
    return make_registry(bot.services.engine)


@pytest.fixture
def registry_data_db(bot_db):
    return make_registry(bot_db.services.engine)


def make_registry(engine) -> dict:
    """Invented recruiters: one accredited, one suspended, one applicant, three similar names."""
    from registry.db import session_scope
    from registry.services import accreditation, auditlog
    from tests import factories

    with session_scope(engine) as s:
        auditlog.set_actor(s, "test")
        ok = factories.accredited(
            s, name="Himal Sunrise Overseas Pvt. Ltd.", country="NP", corridors=(("NP", "QA"), ("NP", "MY"))
        )
        bad = factories.accredited(
            s, name="Coral Bay Manpower Agency", country="BD", corridors=(("BD", "SA"),)
        )
        accreditation.decide(s, bad, "suspend", actor="test", reason="overdue major finding")
        new = factories.recruiter(
            s, name="Lakeside Talent Recruiters", country="PH", corridors=(("PH", "AE"),)
        )
        similar = [
            factories.recruiter(s, name=f"Everest Bridge Employment {x}", country="NP")
            for x in ("North", "South", "East")
        ]
        data = {
            "ok": ok.public_id,
            "suspended": bad.public_id,
            "applicant": new.public_id,
            "similar": [r.public_id for r in similar],
            "ok_id": ok.id,
        }
    return data
