"""Health of this web process and of what it depends on: /healthz (liveness) and /readyz (readiness).

Both report the database, Redis (the rate-limit storage) and the task broker separately, each as
``ok``, ``down`` or, when the installation does not use one, ``not_configured`` / ``embedded``.

- /healthz answers 200 while this process can serve: ``ok``, or ``degraded`` when Redis or the broker is
  down (rate limits are then counted per process, deliveries wait in the outbox); 503 only when the
  database cannot be reached.
- /readyz answers 503 when any configured dependency is down, so a load balancer can hold traffic back.

Each call runs one ``SELECT 1``; Redis and the broker are probed at most once per PROBE_SECONDS per
process (short timeouts), so a health check stays cheap and never hangs on a dependency.
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

from registry.extensions import driver_reads, rate_limit_storage
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
NO_STORE = (("Cache-Control", "no-store"),)


def _database() -> str:
    try:
        driver_reads().first(SELECT_1)  # no transaction: one round trip
    except Exception as err:  # noqa: BLE001 - any failure means the database cannot serve
        log.warning("health: database unreachable (%s)", type(err).__name__)
        return DOWN
    return OK


def report() -> dict[str, str]:
    """The state of each dependency, and an overall status: ok | degraded | error."""
    probes: Probes = current_app.extensions["fairrecruit.health"]
    database = _database()
    redis, broker = probes.current(rate_limit_storage())
    if database != OK:
        status = "error"
    elif DOWN in (redis, broker):
        status = "degraded"
    else:
        status = "ok"
    return {"status": status, "database": database, "redis": redis, "broker": broker}


def _answer(body: dict[str, str], ok: bool) -> Response:
    # Four short strings: json.dumps straight, not the app's JSON provider (a health check runs every few
    # seconds per process, and load balancers poll it under load).
    response = Response(json.dumps(body), mimetype="application/json", headers=NO_STORE)
    if ok:
        return response
    response.status_code = 503
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


@bp.get("/healthz")
def healthz() -> Response:
    """Liveness: 200 unless the database cannot be reached (Redis or broker down: 200, degraded)."""
    body = report()
    return _answer(body, body["database"] == OK)


@bp.get("/readyz")
def readyz() -> Response:
    """Readiness: 503 when any configured dependency is down."""
    body = report()
    return _answer(body, body["status"] == "ok")


def init_app(app: Flask) -> None:
    app.extensions["fairrecruit.health"] = Probes(app.extensions["fairrecruit.settings"])
    app.register_blueprint(bp)
