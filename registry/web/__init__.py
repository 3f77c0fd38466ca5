"""Web front ends: public pages, admin panel (blueprints), shared template helpers."""

from __future__ import annotations

from flask import Flask

from registry.timeutil import iso


def init_app(app: Flask) -> None:
    app.jinja_env.filters["iso"] = iso
    app.jinja_env.filters["date"] = lambda d: d.strftime("%d %b %Y") if d else "—"
    app.jinja_env.filters["datetime"] = lambda d: d.strftime("%d %b %Y %H:%M UTC") if d else "—"
