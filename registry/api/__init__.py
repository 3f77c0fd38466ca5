"""Supply-chain API (/api/v1): one blueprint, one module per resource, one problem+json error handler.

Route table: ``recruiters`` (list, detail, bulk verify, fee statistics), ``suppliers`` (list, replace,
add, remove, report), ``webhooks`` (list, create, delete, test). ``docs`` serves the OpenAPI document
and the human documentation at /api/docs.
"""

from __future__ import annotations

from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from werkzeug.exceptions import HTTPException

from registry.api import docs, recruiters, suppliers, webhooks  # noqa: F401  (registers the routes)
from registry.api.cache import ApiCaches
from registry.api.core import (
    ApiError,
    QuotaLeases,
    api_error_problem,
    bp,
    domain_problem,
    http_problem,
    internal_problem,
    is_api_request,
    make_limiter,
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


class _SessionInterface(SecureCookieSessionInterface):
    """No cookie session under /api/v1: callers authenticate with a key on every request, so opening
    (verifying, decoding) a session there only costs time."""

    def open_session(self, app, request):
        return self.make_null_session(app) if is_api_request() else super().open_session(app, request)


def _hook_of(f, limiter) -> bool:
    """Is `f` a request hook Flask-Limiter's init_app registered for `limiter`?"""
    return getattr(f, "__self__", None) is limiter or limiter in getattr(f, "args", ())


def _not_for_api(hook, *, passes_response: bool):
    def skipping(arg):
        if is_api_request():
            return arg if passes_response else None
        return hook(arg)

    return skipping


def init_app(app: Flask) -> None:
    from registry.web.security import csrf, limiter

    # The API has its own per-key limit (core.check_rate_limit); the application's limiter (sign-in
    # forms) need not look at API requests at all: not before, not after, not on teardown.
    if is_api_request not in limiter._request_filters:
        limiter.request_filter(is_api_request)
    hooks = app.after_request_funcs.setdefault(None, [])
    hooks[:] = [_not_for_api(f, passes_response=True) if _hook_of(f, limiter) else f for f in hooks]
    hooks = app.teardown_request_funcs.setdefault(None, [])
    hooks[:] = [_not_for_api(f, passes_response=False) if _hook_of(f, limiter) else f for f in hooks]

    csrf.exempt(bp)
    app.session_interface = _SessionInterface()
    app.extensions["fairrecruit.api_cache"] = ApiCaches(
        app.extensions["fairrecruit.settings"].api_cache_seconds
    )
    app.extensions["fairrecruit.api_quota"] = QuotaLeases()
    api_limiter = app.extensions["fairrecruit.api_limiter"] = make_limiter()
    api_limiter.init_app(app)
    # The API limiter has no default or application limits; check_rate_limit asks its storage directly.
    # Its request hooks (a pass before, headers after, context release on teardown of every request of
    # every blueprint) would only cost time.
    for funcs in (app.before_request_funcs, app.after_request_funcs, app.teardown_request_funcs):
        funcs[None] = [f for f in funcs.get(None, []) if not _hook_of(f, api_limiter)]
    app.register_blueprint(bp)
    app.register_blueprint(docs.docs_bp)
    for key in APP_LEVEL:
        _wrap_app_handler(app, key)
