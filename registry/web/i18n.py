"""Languages of the public pages (Flask-Babel). Filled in by the i18n work."""

from __future__ import annotations

from flask import Flask

LANGUAGES = {"en": "English", "ne": "नेपाली", "bn": "বাংলা", "tl": "Tagalog", "id": "Bahasa Indonesia"}


def init_app(app: Flask) -> None:
    app.jinja_env.globals.setdefault("_", lambda s, **kw: s % kw if kw else s)
    app.jinja_env.globals["LANGUAGES"] = LANGUAGES
