"""Admin authentication (Flask-Login). Filled in by the admin panel work."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    pass
