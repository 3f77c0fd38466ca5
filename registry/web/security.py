"""CSRF protection (Flask-WTF) and rate limiting (Flask-Limiter)."""

from __future__ import annotations

from flask import Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[], headers_enabled=True)


def init_app(app: Flask) -> None:
    settings = app.extensions["fairrecruit.settings"]
    app.config["RATELIMIT_STORAGE_URI"] = settings.ratelimit_storage_uri
    app.config["RATELIMIT_HEADERS_ENABLED"] = True
    csrf.init_app(app)
    limiter.init_app(app)
