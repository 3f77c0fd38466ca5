"""What every HTTP surface shares: the per-request database session, CSRF protection, rate
limiting and the security headers of every answer.

The public pages, the admin panel and the API all import from here, so the API never imports
``registry.web`` and the web never imports ``registry.api``.

Rate limits are counted with ``limits`` (fixed windows) in one storage per application
(settings.ratelimit_storage_uri: Redis in production, memory when embedded). Only the views that
declare a limit pay for it: there is no pass over every request (no default or application-wide
limits exist). The API counts its per-key budget in the same storage (registry.api.core).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from flask import Flask, Response, current_app, g, make_response, request
from flask_wtf.csrf import CSRFProtect
from limits import parse as parse_limit
from limits.storage import Storage, storage_from_string
from limits.strategies import FixedWindowRateLimiter
from sqlmodel import Session
from werkzeug.exceptions import TooManyRequests

from registry.db import make_engine
from registry.settings import Settings

csrf = CSRFProtect()


def init_app(app: Flask, engine=None) -> None:
    settings: Settings = app.extensions["fairrecruit.settings"]
    app.extensions["fairrecruit.engine"] = engine or make_engine(settings)
    app.teardown_appcontext(_close_session)
    csrf.init_app(app)
    storage = storage_from_string(settings.ratelimit_storage_uri)
    app.extensions["fairrecruit.rate_limit_storage"] = storage
    app.extensions["fairrecruit.rate_limiter"] = FixedWindowRateLimiter(storage)
    app.after_request(security_headers)


# --- rate limits --------------------------------------------------------------------------------


def rate_limit_storage() -> Storage:
    return current_app.extensions["fairrecruit.rate_limit_storage"]


class RateLimited(TooManyRequests):
    """A view's limit was reached; ``headers`` tell the client the limit and when it resets."""

    def __init__(self, description: str, headers: dict[str, str]):
        super().__init__(description)
        self.limit_headers = headers


def rate_limit(limit: Callable[[], str], *, methods: tuple[str, ...] = ("POST",)):
    """Limit a view per client address (e.g. ``rate_limit(lambda: "30/minute")``): requests with one
    of `methods` are counted; past the limit the view is not run and RateLimited (a 429) is raised.
    Counted answers carry X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset and
    Retry-After."""

    def decorator(view):
        scope = f"{view.__module__}.{view.__name__}"

        @wraps(view)
        def limited(*args, **kwargs):
            if request.method not in methods:
                return view(*args, **kwargs)
            item = parse_limit(limit())
            limiter: FixedWindowRateLimiter = current_app.extensions["fairrecruit.rate_limiter"]
            address = request.remote_addr or "127.0.0.1"
            allowed = limiter.hit(item, "web", scope, address)
            stats = limiter.get_window_stats(item, "web", scope, address)
            reset_at = int(stats.reset_time)
            headers = {
                "X-RateLimit-Limit": str(item.amount),
                "X-RateLimit-Remaining": str(stats.remaining),
                "X-RateLimit-Reset": str(reset_at),
                "Retry-After": str(max(0, int(reset_at - time.time()))),
            }
            if not allowed:
                raise RateLimited(str(item), headers)
            response = make_response(view(*args, **kwargs))
            response.headers.update(headers)
            return response

        return limited

    return decorator


@dataclass(frozen=True)
class LimitState:
    """Where one key stands against a limit after a hit."""

    allowed: bool
    limit: int
    remaining: int
    reset_at: int

    @property
    def used(self) -> int:
        return self.limit - self.remaining

    @property
    def retry_after(self) -> int:
        return max(1, int(self.reset_at - time.time()))

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)} if not self.allowed else {}


def hit_limit(limit: str, scope: str, key: str) -> LimitState:
    """Count one event for `key` (e.g. a hash of an e-mail address) against `limit` within `scope`,
    in the application's rate-limit storage; for limits that are not per client address."""
    item = parse_limit(limit)
    limiter: FixedWindowRateLimiter = current_app.extensions["fairrecruit.rate_limiter"]
    allowed = limiter.hit(item, "key", scope, key)
    stats = limiter.get_window_stats(item, "key", scope, key)
    return LimitState(allowed, item.amount, stats.remaining, int(stats.reset_time))


# --- security headers ---------------------------------------------------------------------------

# No inline script or style anywhere (templates load static files), no framing, no plugins.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",  # the public pages' empty icon (no favicon request on slow links)
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
HSTS = "max-age=63072000; includeSubDomains"


def security_headers(response: Response) -> Response:
    """Headers on every answer (public pages, admin, API and its docs); HSTS in production only.
    A view that sets one of them itself keeps its own."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
    if settings().is_production:
        headers.setdefault("Strict-Transport-Security", HSTS)
    return response


# --- the per-request session --------------------------------------------------------------------


def settings() -> Settings:
    return current_app.extensions["fairrecruit.settings"]


def engine():
    return current_app.extensions["fairrecruit.engine"]


def read_only_request() -> None:
    """Mark this request as a read that needs no transaction: its session (opened after this call)
    runs each statement in autocommit mode, saving the BEGIN/ROLLBACK round trips."""
    g.db_autocommit = True


def get_session() -> Session:
    """The request's session, opened on first use; views commit once at the end of their unit of
    work, and whatever is left uncommitted is rolled back when the request ends."""
    if "db_session" not in g:
        g.db_session = Session(engine(), expire_on_commit=False)
        if g.get("db_autocommit"):
            g.db_session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    return g.db_session


def _close_session(_exc=None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.rollback()
        session.close()
