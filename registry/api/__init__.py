"""Supply-chain API (/api/v1): one blueprint, one module per resource, one problem+json error handler.

Route table: ``recruiters`` (list, detail, bulk verify, fee statistics), ``suppliers`` (list, replace,
add, remove, report), ``webhooks`` (list, create, delete, test). ``docs`` serves the OpenAPI document
and the human documentation at /api/docs.
"""

from __future__ import annotations

from flask import Flask, Response
from flask.sessions import SecureCookieSessionInterface
from werkzeug.exceptions import HTTPException

from registry import extensions
from registry.api import docs, fast, recruiters, suppliers, webhooks  # noqa: F401  (registers the routes)
from registry.api.cache import ApiCaches
from registry.api.core import (
    ApiError,
    QuotaLeases,
    api_error_problem,
    bp,
    database_problem,
    domain_problem,
    http_problem,
    internal_problem,
    is_api_request,
)
from registry.errors import DomainError

bp.register_error_handler(ApiError, api_error_problem)
bp.register_error_handler(DomainError, domain_problem)
bp.register_error_handler(HTTPException, http_problem)
for _unreachable in extensions.DATABASE_UNREACHABLE:
    bp.register_error_handler(_unreachable, database_problem)
bp.register_error_handler(Exception, internal_problem)


def outside_blueprint_problem(e: HTTPException):
    """Errors raised before a request reaches a blueprint (no such route, method not allowed, body too
    large while routing, an unhandled error): under /api/ they are problems too; elsewhere Flask's
    own answer stands."""
    return http_problem(e) if is_api_request() else e


def outside_blueprint_unreachable(e: Exception) -> Response:
    """A database that cannot be reached outside the API's views: a problem under /api/, the plain
    503 page elsewhere (registry.extensions)."""
    return database_problem(e) if is_api_request() else extensions.database_unavailable(e)


class SessionInterface(SecureCookieSessionInterface):
    """No cookie session under /api/v1: callers authenticate with a key on every request, so opening
    (verifying, decoding) a session there only costs time."""

    def open_session(self, app, request):
        if is_api_request():
            return self.make_null_session(app)
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            # No cookie: a new, empty session (what Flask answers too, after building the cookie's
            # signing serializer, which costs more than the rest of a health check).
            return self.session_class()
        return super().open_session(app, request)


def init_app(app: Flask) -> None:
    settings = app.extensions["fairrecruit.settings"]
    extensions.csrf.exempt(bp)
    app.session_interface = SessionInterface()
    app.extensions["fairrecruit.api_cache"] = ApiCaches(settings.api_cache_seconds)
    app.extensions["fairrecruit.api_quota"] = QuotaLeases()
    app.register_blueprint(bp)
    app.register_blueprint(docs.docs_bp)
    app.register_error_handler(HTTPException, outside_blueprint_problem)
    for unreachable in extensions.DATABASE_UNREACHABLE:
        app.register_error_handler(unreachable, outside_blueprint_unreachable)
    # Flask's documented way to add WSGI middleware; Flask declares wsgi_app as a method.
    app.wsgi_app = fast.DetailFastPath(app, app.wsgi_app)  # type: ignore[method-assign]
