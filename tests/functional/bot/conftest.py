"""Fixtures for the bot: a fake Bot API server and the real Application polling it."""

from __future__ import annotations

import pytest

from registry.settings import Settings
from tests.functional.bot.harness import BotHarness


def bot_settings(tmp_path, engine) -> Settings:
    return Settings(
        env="test", var_dir=tmp_path / "var", database_url=engine.url.render_as_string(hide_password=False),
        secret_key="test-secret-key-0123456789", pseudonym_key="test-pseudonym-key-0123456789",
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
