"""Health of this web process and of what it depends on: /healthz (liveness) and /readyz (readiness).

Both report the database, Redis (the rate-limit storage) and the task broker separately, each as
``ok``, ``down`` or, when the installation does not use one, ``not_configured`` / ``embedded``.

- /healthz answers 200 while this process can serve: ``ok``, or ``degraded`` when Redis or the broker is
  down (rate limits are then counted per process, deliveries wait in the outbox); 503 only when the
  database cannot be reached.
- /readyz answers 503 when any configured dependency is down, so a load balancer can hold traffic back.

Each call runs one ``SELECT 1``; Redis and the broker are probed at most once per PROBE_SECONDS per
process (short timeouts), so a health check stays cheap and never hangs on a dependency. Both are
answered by HealthMiddleware, in front of Flask's request machinery (which a probe does not need).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Flask, Response, current_app
from sqlalchemy import text

from registry.db import DriverReads
from registry.settings import Settings

log = logging.getLogger(__name__)

bp = Blueprint("health", __name__)

PROBE_SECONDS = 1.0  # Redis and broker answers are reused this long
PROBE_TIMEOUT = 1.0  # a probe that takes longer counts as down
RETRY_AFTER_SECONDS = 5

OK, DOWN, NOT_CONFIGURED, EMBEDDED = "ok", "down", "not_configured", "embedded"


def _ping_redis(url: str) -> bool:
    import redis

    client = redis.Redis.from_url(url, socket_timeout=PROBE_TIMEOUT, socket_connect_timeout=PROBE_TIMEOUT)
    try:
        return bool(client.ping())
    finally:
        client.close()


def _ping_broker(url: str) -> bool:
    from kombu import Connection

    with Connection(url, connect_timeout=PROBE_TIMEOUT, transport_options={"max_retries": 0}) as conn:
        # kombu takes fractional seconds here; its stubs say int
        conn.ensure_connection(max_retries=0, timeout=PROBE_TIMEOUT)  # type: ignore[arg-type]
    return True


@dataclass
class Probes:
    """The last answers of Redis and the broker, refreshed at most once per PROBE_SECONDS."""

    settings: Settings
    checked_at: float = float("-inf")
    redis: str = NOT_CONFIGURED
    broker: str = NOT_CONFIGURED

    def __post_init__(self) -> None:
        self._lock = threading.Lock()

    def current(self, storage: Any) -> tuple[str, str]:
        now = time.monotonic()
        if now - self.checked_at >= PROBE_SECONDS and self._lock.acquire(blocking=False):
            try:  # one request refreshes; the others meanwhile read the previous answers
                self.redis = self._redis(storage)
                self.broker = self._broker()
                self.checked_at = time.monotonic()
            finally:
                self._lock.release()
        return self.redis, self.broker

    def _redis(self, storage: Any) -> str:
        if self.settings.ratelimit_storage_uri.startswith("memory"):
            return NOT_CONFIGURED
        try:
            return OK if storage.check() else DOWN
        except Exception:  # noqa: BLE001 - any failure of the probe means "down"
            return DOWN

    def _broker(self) -> str:
        url = self.settings.celery_broker_url
        if url.startswith("sqla+"):
            return EMBEDDED  # a file next to the database: no server to be down
        try:
            if url.startswith(("redis://", "rediss://")):
                return OK if _ping_redis(url) else DOWN
            return OK if _ping_broker(url) else DOWN
        except Exception:  # noqa: BLE001 - any failure of the probe means "down"
            return DOWN


SELECT_1 = text("SELECT 1")
PATHS = {"/healthz": "healthz", "/readyz": "readyz"}


def _database(reads: DriverReads) -> str:
    try:
        reads.first(SELECT_1)  # no transaction: one round trip
    except Exception as err:  # noqa: BLE001 - any failure means the database cannot serve
        log.warning("health: database unreachable (%s)", type(err).__name__)
        return DOWN
    finally:
        try:
            reads.close()
        except Exception:  # noqa: BLE001 - a connection lost while ending the probe: reported above
            log.debug("health: closing the probe's connection", exc_info=True)
    return OK


def report(app: Flask) -> dict[str, str]:
    """The state of each dependency, and an overall status: ok | degraded | error."""
    probes: Probes = app.extensions["fairrecruit.health"]
    database = _database(DriverReads(app.extensions["fairrecruit.engine"]))
    redis, broker = probes.current(app.extensions["fairrecruit.rate_limit_storage"])
    if database != OK:
        status = "error"
    elif DOWN in (redis, broker):
        status = "degraded"
    else:
        status = "ok"
    return {"status": status, "database": database, "redis": redis, "broker": broker}


def answer(app: Flask, name: str) -> tuple[str, list[tuple[str, str]], bytes]:
    """/healthz (200 unless the database cannot be reached) or /readyz (503 when any configured
    dependency is down): status line, headers (no-store, Retry-After on 503; the security headers are
    added by registry.extensions.SecurityHeaders, as to every answer) and the JSON body."""
    body = report(app)
    ok = body["database"] == OK if name == "healthz" else body["status"] == "ok"
    # Four short strings: json.dumps straight, not the app's JSON provider.
    data = json.dumps(body).encode()
    headers = [
        ("Content-Type", "application/json"),
        ("Content-Length", str(len(data))),
        ("Cache-Control", "no-store"),
    ]
    if ok:
        return "200 OK", headers, data
    headers.append(("Retry-After", str(RETRY_AFTER_SECONDS)))
    return "503 SERVICE UNAVAILABLE", headers, data


class HealthMiddleware:
    """GET and HEAD of /healthz and /readyz, answered in front of Flask's request machinery.

    Load balancers and orchestrators poll these under load, so they do only their own work: one
    ``SELECT 1`` on this process's driver connection, the (rate-limited) Redis and broker probes, and
    their JSON answer (the security headers come from the middleware around this one). Nothing a page
    needs (the cookie session, CSRF, the language, the sign-in cookie) runs for them. Every other
    request, other methods on these paths included (405 from Flask), goes to the application."""

    def __init__(self, app: Flask, wsgi_app: Any) -> None:
        self.app = app
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict, start_response: Any) -> Any:
        name = PATHS.get(environ.get("PATH_INFO", ""))
        method = environ.get("REQUEST_METHOD")
        if name is None or method not in ("GET", "HEAD"):
            return self.wsgi_app(environ, start_response)
        status, headers, data = answer(self.app, name)
        start_response(status, headers)
        return [b"" if method == "HEAD" else data]


@bp.get("/healthz")
def healthz() -> Response:
    """Liveness (answered by HealthMiddleware; this view serves the URL map, e.g. url_for)."""
    return _view("healthz")


@bp.get("/readyz")
def readyz() -> Response:
    """Readiness (answered by HealthMiddleware; this view serves the URL map, e.g. url_for)."""
    return _view("readyz")


def _view(name: str) -> Response:
    status, headers, data = answer(current_app._get_current_object(), name)  # type: ignore[attr-defined]
    return Response(data, status=int(status.split()[0]), headers=headers)


def init_app(app: Flask) -> None:
    app.extensions["fairrecruit.health"] = Probes(app.extensions["fairrecruit.settings"])
    app.register_blueprint(bp)
    # Flask's documented way to add WSGI middleware; Flask declares wsgi_app as a method.
    app.wsgi_app = HealthMiddleware(app, app.wsgi_app)  # type: ignore[method-assign]
