"""The fault suite (`make chaos`): real processes (gunicorn, Celery workers, beat, redis-server,
PostgreSQL) and real faults (SIGKILL, a stopped Redis, terminated database connections). Each test prints
one line of figures: events sent, delivered, lost, duplicated (by event id) and the time to recover."""

from __future__ import annotations

import collections
import json
import shutil
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.conftest import clean
from tests.functional.workers.conftest import RedisServer
from tests.servers import settings_env

FIGURES: list[str] = []


class SlowReceiver:
    """A company's webhook endpoint that takes `delay` seconds per request (so deliveries are in flight
    when a fault strikes) and counts each event id it is sent."""

    def __init__(self, delay: float = 0.0):
        self.delay = delay
        self.ids: collections.Counter[str] = collections.Counter()
        self.in_flight = 0
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.lock:
                    receiver.ids[json.loads(body)["id"]] += 1
                    receiver.in_flight += 1
                try:
                    time.sleep(receiver.delay)
                    self.send_response(200)
                    self.end_headers()
                    self.wfile.write(b"{}")
                except OSError:
                    pass  # the sender died while waiting for the answer
                finally:
                    with receiver.lock:
                        receiver.in_flight -= 1

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/fairrecruit"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def pg_engine(_pg_engine):
    clean(_pg_engine)
    yield _pg_engine
    clean(_pg_engine)


@pytest.fixture
def own_redis(tmp_path):
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is not installed")
    srv = RedisServer(tmp_path)
    srv.start()
    yield srv
    srv.stop()


def stack_env(engine, tmp_path, redis_url: str, **more: str) -> dict[str, str]:
    """FAIRRECRUIT_* for the processes of a test: its database, its Redis as broker, short retry delays."""
    options = {
        "broker_url": redis_url,
        "outbox_backoff_base_seconds": "0.2",
        "outbox_sweep_seconds": "60",
        "webhook_timeout_seconds": "2",
        **more,
    }
    return settings_env(engine.url.render_as_string(hide_password=False), tmp_path / "var", **options)


def figures(
    scenario: str, *, sent: set[str], received: collections.Counter, recovery: float, extra: str = ""
):
    """Print (and keep for the session summary) one line of figures; returns (lost, duplicated)."""
    delivered = set(received) & sent
    lost = len(sent - delivered)
    duplicated = sum(n - 1 for i, n in received.items() if i in sent and n > 1)
    line = (
        f"{scenario}: sent {len(sent)}, delivered {len(delivered)}, lost {lost}, "
        f"duplicated {duplicated} (same event id), recovered in {recovery:.1f} s"
        + (f"; {extra}" if extra else "")
    )
    print("\n" + line)
    FIGURES.append(line)
    return lost, duplicated


def pytest_terminal_summary(terminalreporter):
    if FIGURES:
        terminalreporter.section("fault suite figures")
        for line in FIGURES:
            terminalreporter.write_line(line)
