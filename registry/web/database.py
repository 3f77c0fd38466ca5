"""One database session per request (flask.g); views commit once, at the end of their unit of work."""

from __future__ import annotations

from flask import Flask, current_app, g
from sqlmodel import Session

from registry.db import make_engine
from registry.settings import Settings


def init_app(app: Flask, engine=None) -> None:
    settings: Settings = app.extensions["fairrecruit.settings"]
    app.extensions["fairrecruit.engine"] = engine or make_engine(settings)
    app.teardown_appcontext(_close_session)


def settings() -> Settings:
    return current_app.extensions["fairrecruit.settings"]


def engine():
    return current_app.extensions["fairrecruit.engine"]


def get_session() -> Session:
    if "db_session" not in g:
        g.db_session = Session(engine(), expire_on_commit=False)
        if g.get("db_autocommit"):
            # A read-only API request: no transaction (see registry.api.core.operation).
            g.db_session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    return g.db_session


def _close_session(_exc=None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.rollback()
        session.close()
