"""Supply-chain API (/api/v1): one blueprint, one module per resource, one problem+json error handler.

Route table: ``recruiters`` (list, detail, bulk verify, fee statistics), ``suppliers`` (list, replace,
add, remove, report), ``webhooks`` (list, create, delete, test). ``docs`` serves the OpenAPI document
and the human documentation at /api/docs.
"""

from __future__ import annotations

from flask import Flask
from werkzeug.exceptions import HTTPException

from registry.api import docs, recruiters, suppliers, webhooks  # noqa: F401  (registers the routes)
from registry.api.core import (
    ApiError,
    api_error_problem,
    api_limiter,
    bp,
    domain_problem,
    http_problem,
    internal_problem,
    is_api_request,
)
from registry.errors import DomainError

bp.register_error_handler(ApiError, api_error_problem)
bp.register_error_handler(DomainError, domain_problem)
bp.register_error_handler(HTTPException, http_problem)
bp.register_error_handler(Exception, internal_problem)

# Errors raised before a request reaches the blueprint (no such route, method not allowed, body too
# large while routing) are handled at application level; under /api/ they become problems too.
APP_LEVEL = (400, 404, 405, 413, 415, 429, 500, HTTPException)


def _wrap_app_handler(app: Flask, key) -> None:
    exc_class, code = app._get_exc_class_and_code(key)
    handlers = app.error_handler_spec[None][code]
    previous = handlers.get(exc_class)

    def handler(e):
        if is_api_request():
            return http_problem(e) if isinstance(e, HTTPException) else internal_problem(e)
        if previous is not None:
            return previous(e)
        return e

    handlers[exc_class] = handler


def init_app(app: Flask) -> None:
    from registry.web.security import csrf, limiter

    # The API has its own per-key limiter (core.api_limiter); the application's limiter need not look
    # at API requests at all.
    if is_api_request not in limiter._request_filters:
        limiter.request_filter(is_api_request)

    csrf.exempt(bp)
    api_limiter.init_app(app)
    # The API limiter has no default or application limits, only the decorated per-key limit that
    # each API view checks itself: its application-wide before_request pass would only cost time on
    # every request of every blueprint.
    app.before_request_funcs[None] = [
        f for f in app.before_request_funcs[None] if getattr(f, "__self__", None) is not api_limiter
    ]
    app.register_blueprint(bp)
    app.register_blueprint(docs.docs_bp)
    for key in APP_LEVEL:
        _wrap_app_handler(app, key)
