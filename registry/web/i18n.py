"""Languages of the public pages (Flask-Babel).

The language is, in order: `?lang=xx` on the URL (remembered in a cookie for a year), the cookie,
the browser's Accept-Language, English. Catalogs live in registry/translations (domain `messages`),
built by `make translations` (scripts/translations.py).
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app, request
from flask_babel import Babel, get_locale

LANGUAGES = {"en": "English", "ne": "नेपाली", "bn": "বাংলা", "tl": "Tagalog", "id": "Bahasa Indonesia"}
DEFAULT = "en"
COOKIE = "lang"
TRANSLATIONS_DIR = Path(__file__).resolve().parent.parent / "translations"
# Babel knows Tagalog as Filipino (`tl` resolves to `fil_PH`), so its catalog lives under `fil`.
CATALOG_DIRS = {"tl": "fil"}


def catalog_path(lang: str, suffix: str = ".po") -> Path:
    """Where the catalog of a page language lives (registry/translations/<dir>/LC_MESSAGES/messages.po)."""
    return TRANSLATIONS_DIR / CATALOG_DIRS.get(lang, lang) / "LC_MESSAGES" / f"messages{suffix}"


babel = Babel()


def _valid(code: str | None) -> str | None:
    code = (code or "").strip().lower().replace("_", "-").split("-")[0]
    if code == "fil":
        code = "tl"
    return code if code in LANGUAGES else None


def select_locale() -> str:
    from_url = _valid(request.args.get("lang"))
    if from_url:
        return from_url
    from_cookie = _valid(request.cookies.get(COOKIE))
    if from_cookie:
        return from_cookie
    best = request.accept_languages.best_match([*LANGUAGES, "fil"], default=DEFAULT)
    return _valid(best) or DEFAULT


def current_language() -> str:
    return _valid(str(get_locale() or DEFAULT)) or DEFAULT


def _remember_language(response):
    lang = _valid(request.args.get("lang"))
    if lang and request.cookies.get(COOKIE) != lang:
        response.set_cookie(
            COOKIE,
            lang,
            max_age=365 * 24 * 3600,
            httponly=True,
            samesite="Lax",
            secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
        )
    if response.mimetype == "text/html":
        response.vary.update(("Accept-Language", "Cookie"))  # the page's language depends on both
    return response


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS_DIR))
    babel.init_app(app, locale_selector=select_locale)
    app.after_request(_remember_language)
    app.jinja_env.globals["LANGUAGES"] = LANGUAGES
    app.jinja_env.globals["current_language"] = current_language
