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
    # No default or application-wide limits exist: only decorated views (the sign-in form) are
    # limited, and their decorator checks its limit itself. Skip the limiter's pass over every
    # other request (the public pages and the API pay for it otherwise).
    app.before_request_funcs[None] = [
        f for f in app.before_request_funcs.get(None, []) if getattr(f, "__self__", None) is not limiter
    ]
