"""Fixtures for the worker tests: a real Celery worker (celery.contrib.testing) on Redis or on the
SQLite broker, a real HTTP receiver on 127.0.0.1, and a throw-away redis-server for outage tests."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from registry.settings import Settings
from tests.conftest import clean, redis_db


def wait_for(predicate, timeout: float = 30.0, interval: float = 0.05, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


class Receiver:
    """A company's webhook endpoint: records every request, answers with scripted status codes."""

    def __init__(self):
        self.received: list[dict] = []
        self.script: list[int] = []
        self.scripts: dict[str, list[int]] = {}  # per request path, before `script`
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.lock:
                    own = receiver.scripts.get(self.path)
                    code = own.pop(0) if own else receiver.script.pop(0) if receiver.script else 200
                    receiver.received.append(
                        {"path": self.path, "headers": dict(self.headers), "body": body, "answered": code}
                    )
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(json.dumps({"ok": code < 300}).encode())

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/fairrecruit"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def count(self) -> int:
        with self.lock:
            return len(self.received)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    """Our own redis-server on a free port, so an outage can be simulated without touching shared Redis."""

    def __init__(self, tmp_path):
        self.port = free_port()
        self.dir = tmp_path
        self.proc = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.dir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        import redis

        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.5)

        def up():
            try:
                return client.ping()
            except redis.ConnectionError:
                return False

        wait_for(up, 10, what="redis-server to start")
        client.close()

    def stop(self):
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None


@pytest.fixture
def redis_server(tmp_path):
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    srv = RedisServer(tmp_path)
    srv.start()
    yield srv
    srv.stop()


def worker_redis_url(redis_url: str) -> str:
    """The broker database of this test process (see tests.conftest.redis_db)."""
    return redis_url.rsplit("/", 1)[0] + f"/{redis_db('broker')}"


@pytest.fixture
def settings(settings):
    """The shared test settings; the receivers of these tests listen on 127.0.0.1."""
    return settings.model_copy(update={"webhook_allow_private": True})


@pytest.fixture(params=["redis", "sqlite"])
def stack(request, tmp_path):
    """(settings, engine) for a worker: Redis broker (this process's broker db) + PostgreSQL, or SQLite broker + SQLite."""
    if request.param == "redis":
        import redis

        url = worker_redis_url(request.getfixturevalue("redis_url"))
        redis.Redis.from_url(url).flushdb()
        engine = request.getfixturevalue("_pg_engine")
    else:
        url = f"sqla+sqlite:///{tmp_path / 'broker.db'}"
        engine = request.getfixturevalue("_sqlite_engine")
    clean(engine)
    settings = make_settings(tmp_path, engine, url)
    yield settings, engine
    clean(engine)


def make_settings(tmp_path, engine, broker_url: str) -> Settings:
    return Settings(
        env="test",
        var_dir=tmp_path / "var",
        database_url=engine.url.render_as_string(hide_password=False),
        broker_url=broker_url,
        secret_key="test-secret-key-0123456789",
        pseudonym_key="test-pseudonym-key-0123456789",
        outbox_backoff_base_seconds=0.05,
        celery_poll_interval_seconds=0.1,
        outbox_sweep_seconds=1,
        webhook_timeout_seconds=5,
        telegram_bot_token="123:TEST",
        webhook_allow_private=True,  # the receivers of these tests listen on 127.0.0.1
    )
