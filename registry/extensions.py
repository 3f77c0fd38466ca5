"""What every HTTP surface shares: the per-request database session, CSRF protection, rate
limiting and the security headers of every answer.

The public pages, the admin panel and the API all import from here, so the API never imports
``registry.web`` and the web never imports ``registry.api``.

Rate limits are counted with ``limits`` (fixed windows) in one storage per application
(settings.ratelimit_storage_uri: Redis in production, memory when embedded). Only the views that
declare a limit pay for it: there is no pass over every request (no default or application-wide
limits exist). The API counts its per-key budget in the same storage (registry.api.core).

A Redis outage degrades limits, it never fails a request: :class:`FallbackStorage` counts in this
process's memory while Redis does not answer (each process then enforces the whole limit on its own),
tries Redis again after a few seconds, and returns to it by itself. An outage is logged once when it
starts and once when it ends.

A database that cannot be reached answers 503 with Retry-After (:func:`database_unavailable`), never
500; nothing is acknowledged that was not committed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from flask import Flask, Response, current_app, g, make_response, render_template, request
from flask_wtf.csrf import CSRFProtect
from limits import parse as parse_limit
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import FixedWindowRateLimiter
from sqlalchemy import exc as sa_exc
from sqlmodel import Session
from werkzeug.exceptions import ServiceUnavailable, TooManyRequests

from registry.db import DriverReads, make_engine
from registry.settings import Settings

log = logging.getLogger(__name__)

csrf = CSRFProtect()

# How long a call to the rate-limit storage (Redis) may take before this process counts on its own.
STORAGE_TIMEOUT_SECONDS = 0.5
# After a failed call, how long this process counts in memory before it tries Redis again.
STORAGE_RETRY_SECONDS = 5.0
# What a request that cannot reach the database is told (Retry-After, seconds).
DATABASE_RETRY_AFTER_SECONDS = 10


def init_app(app: Flask, engine=None) -> None:
    settings: Settings = app.extensions["fairrecruit.settings"]
    app.extensions["fairrecruit.engine"] = engine or make_engine(settings)
    app.teardown_appcontext(_close_session)
    csrf.init_app(app)
    storage = make_rate_limit_storage(settings.ratelimit_storage_uri)
    app.extensions["fairrecruit.rate_limit_storage"] = storage
    app.extensions["fairrecruit.rate_limiter"] = FixedWindowRateLimiter(storage)
    for error in DATABASE_UNREACHABLE:
        app.register_error_handler(error, database_unavailable)


# --- rate limits --------------------------------------------------------------------------------


def make_rate_limit_storage(uri: str) -> Storage:
    """The storage of `uri`; a networked one (Redis) with short timeouts, behind a FallbackStorage."""
    if uri.startswith("memory"):
        return _sync_storage(uri)
    options: dict[str, Any] = {}
    if uri.startswith(("redis", "rediss", "valkey")):
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        options = {
            "socket_timeout": STORAGE_TIMEOUT_SECONDS,
            "socket_connect_timeout": STORAGE_TIMEOUT_SECONDS,
            # one immediate reconnect (a pooled connection that a restart closed), no backoff sleeps
            "retry": Retry(NoBackoff(), 1),
        }
    return FallbackStorage(_sync_storage(uri, **options))


def _sync_storage(uri: str, **options: Any) -> Storage:
    storage = storage_from_string(uri, **options)
    if not isinstance(storage, Storage):  # an asyncio storage ("async+redis://"): unusable here
        raise ValueError(f"rate-limit storage {uri!r} is asynchronous; use a synchronous one (redis://)")
    return storage


class FallbackStorage(Storage):
    """A shared storage (Redis) that, while it fails, is stood in for by this process's memory.

    On a storage error the call is answered from a MemoryStorage and the shared storage is left alone
    for STORAGE_RETRY_SECONDS; the first call after that tries it again, and if it answers, every call
    goes back to it (the counts made in memory meanwhile are dropped: limits are approximate during an
    outage, never a cause of failure). One warning when an outage starts, one notice when it ends.
    """

    STORAGE_SCHEME = None  # built by make_rate_limit_storage, never from a URI of its own

    def __init__(self, primary: Storage, *, retry_seconds: float = STORAGE_RETRY_SECONDS) -> None:
        super().__init__()
        self.primary = primary
        self.local = MemoryStorage()
        self.retry_seconds = retry_seconds
        self._lock = threading.Lock()
        self._down_until = 0.0  # monotonic time before which the primary is not tried
        self._down = False  # an outage has been logged and has not ended yet

    @property
    def base_exceptions(self) -> tuple[type[Exception], ...]:
        return ()  # errors of the primary never leave this storage

    @property
    def degraded(self) -> bool:
        """True while calls are answered from memory because the shared storage failed."""
        return self._down

    def _call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        if self._down and time.monotonic() < self._down_until:
            return getattr(self.local, name)(*args, **kwargs)
        try:
            result = getattr(self.primary, name)(*args, **kwargs)
        except Exception as err:  # noqa: BLE001 - whatever the storage raised, count in memory
            self._failed(err)
            return getattr(self.local, name)(*args, **kwargs)
        if self._down:
            self._recovered()
        return result

    def _failed(self, err: Exception) -> None:
        with self._lock:
            self._down_until = time.monotonic() + self.retry_seconds
            if self._down:
                return
            self._down = True
        log.warning(
            "rate-limit storage unreachable (%s); counting in this process's memory until it answers",
            type(err).__name__,
        )

    def _recovered(self) -> None:
        with self._lock:
            if not self._down:
                return
            self._down = False
            self.local.reset()
        log.warning("rate-limit storage answers again; shared counting resumed")

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        return self._call("incr", key, expiry, amount=amount)

    def get(self, key: str) -> int:
        return self._call("get", key)

    def get_expiry(self, key: str) -> float:
        return self._call("get_expiry", key)

    def check(self) -> bool:
        """Whether the shared storage answers now (health checks ask this; it changes no state)."""
        try:
            return bool(self.primary.check())
        except Exception:  # noqa: BLE001 - any failure of the probe means "not answering"
            return False

    def reset(self) -> int | None:
        return self._call("reset")

    def clear(self, key: str) -> None:
        self._call("clear", key)


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


SECURITY_HEADERS: tuple[tuple[str, str], ...] = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Frame-Options", "DENY"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()"),
)


class SecurityHeaders:
    """WSGI middleware: the security headers on every answer of the application (public pages, admin,
    API and its docs, health checks, static files, error pages), HSTS in production only. An answer
    that carries one of them already keeps its own.

    Added to the WSGI header list as the answer starts (one pass over a handful of tuples) rather than
    to each Response object in an after_request hook, whose header checks cost more than the rest of
    a health check (registry.web.health)."""

    def __init__(self, wsgi_app: Any, production: bool) -> None:
        self.wsgi_app = wsgi_app
        self.wanted: list[tuple[str, str]] = list(SECURITY_HEADERS)
        if production:
            self.wanted.append(("Strict-Transport-Security", HSTS))
        self.names = frozenset(name.lower() for name, _ in self.wanted)

    def __call__(self, environ: dict, start_response: Any) -> Any:
        wanted, names = self.wanted, self.names

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            present = {name.lower() for name, _ in headers} & names
            extra = [(n, v) for n, v in wanted if n.lower() not in present] if present else wanted
            return start_response(status, headers + extra, exc_info)

        return self.wsgi_app(environ, start)


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


def driver_reads() -> DriverReads:
    """The request's reads straight on the driver (registry.db.DriverReads), opened on first use and
    closed when the request ends: for the statements every API request runs."""
    reads = g.get("db_reads")
    if reads is None:
        reads = g.db_reads = DriverReads(engine())
    return reads


# Errors that mean "the database cannot be reached now" (refused or dropped connection, a pool with no
# free connection in time, a busy SQLite file): the request is answered 503, never 500.
DATABASE_UNREACHABLE: tuple[type[Exception], ...] = (
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.TimeoutError,
)


def is_database_unreachable(err: BaseException) -> bool:
    """Whether `err` says the database could not be reached (rather than that a statement was wrong)."""
    if isinstance(err, DATABASE_UNREACHABLE):
        return True
    return isinstance(err, sa_exc.DBAPIError) and bool(err.connection_invalidated)


class DatabaseUnavailable(ServiceUnavailable):
    """503 with Retry-After: the database did not answer; nothing was changed."""

    def __init__(self, retry_after: int = DATABASE_RETRY_AFTER_SECONDS) -> None:
        super().__init__("The records cannot be reached at the moment; nothing was changed.")
        self.retry_after = retry_after


def database_unavailable(err: Exception) -> Response:
    """Answer a request that could not reach the database: 503 and Retry-After, logged once per request
    (without the statement or its parameters). Surfaces with their own format (the API's problem+json)
    register their own handler for DATABASE_UNREACHABLE and build their answer on DatabaseUnavailable."""
    log.warning("database unreachable: %s %s (%s)", request.method, request.path, type(err).__name__)
    _discard_session()
    unavailable = DatabaseUnavailable()
    # A page of its own (public/unavailable.html): no layout that could need the database again.
    response = make_response(render_template("public/unavailable.html"), 503)
    response.headers["Retry-After"] = str(unavailable.retry_after)
    response.headers["Cache-Control"] = "no-store"
    return response


def _discard_session() -> None:
    """Drop the request's session after its connection failed (its rollback may fail as well)."""
    session = g.pop("db_session", None)
    if session is not None:
        try:
            session.close()
        except Exception:  # noqa: BLE001 - the connection is gone already
            log.debug("closing a failed session", exc_info=True)


def _close_session(_exc=None) -> None:
    reads = g.pop("db_reads", None)
    if reads is not None:
        try:
            reads.close()
        except Exception as err:  # noqa: BLE001 - a lost connection must not turn an answer into a 500
            if not is_database_unreachable(err):
                raise
            log.warning("database connection lost while ending a request (%s)", type(err).__name__)
    session = g.pop("db_session", None)
    if session is not None:
        try:
            if not g.get("db_autocommit"):
                session.rollback()  # closing rolls back as well; explicitly, for a request that wrote
            session.close()
        except Exception as err:  # noqa: BLE001 - a lost connection must not turn an answer into a 500
            if not is_database_unreachable(err):
                raise
            log.warning("database connection lost while ending a request (%s)", type(err).__name__)
