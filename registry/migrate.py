"""Run Alembic migrations programmatically (the only schema path)."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine

from registry.settings import CONFIG_DIR


def alembic_config(url: str) -> Config:
    cfg = Config(str(CONFIG_DIR / "alembic.ini"))
    cfg.set_main_option("script_location", str(CONFIG_DIR.parent / "registry" / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def current(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
