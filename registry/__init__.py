"""FairRecruit registry: domain model, business rules, and the Flask app (public, admin, API)."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask

from registry.settings import Settings, load_settings


def create_app(settings: Settings | None = None, *, engine=None) -> Flask:
    """Application factory: a flat list of init_app calls."""
    from registry import api, extensions, web
    from registry.web import (
        account,  # noqa: F401  (adds the account pages to the auth blueprint)
        admin,
        auth,
        health,
        i18n,
        public,
    )

    settings = settings or load_settings()
    app = Flask(__name__, template_folder="web/templates", static_folder="web/static")
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.is_production,
        # Sessions end after this long without a request (Flask refuses an older cookie) and are
        # renewed by every request; sign-out and the like end them at once (registry.web.auth).
        PERMANENT_SESSION_LIFETIME=timedelta(minutes=settings.session_idle_minutes),
        SESSION_REFRESH_EACH_REQUEST=True,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SECURE=settings.is_production,
        MAX_CONTENT_LENGTH=8 * 1024 * 1024,
        WTF_CSRF_TIME_LIMIT=None,
    )
    app.extensions["fairrecruit.settings"] = settings

    extensions.init_app(app, engine=engine)
    i18n.init_app(app)
    auth.init_app(app)
    web.init_app(app)
    public.init_app(app)
    health.init_app(app)
    admin.init_app(app)
    api.init_app(app)
    # Flask's documented way to add WSGI middleware; Flask declares wsgi_app as a method.
    app.wsgi_app = extensions.SecurityHeaders(app.wsgi_app, settings.is_production)  # type: ignore[method-assign]
    if settings.proxy_count:
        from werkzeug.middleware.proxy_fix import ProxyFix

        n = settings.proxy_count
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]
    return app
