"""Real servers for tests that need them as separate processes: the web application under gunicorn
(the project's configuration) and a Celery worker, each stopped at the end (or killed by the test)."""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.functional.workers.conftest import free_port

PROJECT_ROOT = Path(__file__).resolve().parent.parent
GUNICORN_CONF = PROJECT_ROOT / "config" / "gunicorn.conf.py"


def request(
    base_port: int, method: str, path: str, body: bytes | None = None, headers: dict | None = None, timeout=30
):
    """(status, body bytes) of one HTTP request to 127.0.0.1:base_port."""
    conn = http.client.HTTPConnection("127.0.0.1", base_port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def settings_env(database_url: str, var_dir: Path, **more: str) -> dict[str, str]:
    env = {
        "FAIRRECRUIT_ENV": "test",
        "FAIRRECRUIT_DATABASE_URL": database_url,
        "FAIRRECRUIT_VAR_DIR": str(var_dir),
        "FAIRRECRUIT_SECRET_KEY": "test-secret-key-0123456789",
        "FAIRRECRUIT_PSEUDONYM_KEY": "test-pseudonym-key-0123456789",
        "FAIRRECRUIT_TELEGRAM_BOT_TOKEN": "",
        # The receivers of these tests listen on 127.0.0.1.
        "FAIRRECRUIT_WEBHOOK_ALLOW_PRIVATE": "true",
    }
    env.update({f"FAIRRECRUIT_{k.upper()}": v for k, v in more.items()})
    return env


@contextmanager
def web_server(env: dict[str, str], log: Path, workers: int = 2) -> Iterator[int]:
    """gunicorn with the project's configuration on a free port; yields the port once /healthz answers."""
    port = free_port()
    argv = [
        sys.executable,
        "-m",
        "gunicorn",
        "--config",
        str(GUNICORN_CONF),
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--access-logfile",
        "/dev/null",
        "registry.wsgi:app",
    ]
    with log.open("ab") as out:
        proc = subprocess.Popen(
            argv,
            env={**os.environ, **env},
            cwd=PROJECT_ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, log.read_text()[-3000:]
            try:
                if request(port, "GET", "/healthz", timeout=5)[0] in (200, 503):
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "gunicorn did not start: " + log.read_text()[-3000:]
            time.sleep(0.2)
        yield port
    finally:
        stop(proc)


@contextmanager
def celery_worker(env: dict[str, str], log: Path, *, beat: bool = False) -> Iterator[subprocess.Popen]:
    """`celery -A workers.main:app worker` (one process, one task at a time), or with beat=True the
    `celery beat` scheduler, until the block ends."""
    argv = [sys.executable, "-m", "celery", "-A", "workers.main:app"]
    if beat:
        argv += ["beat", "--schedule", str(log.parent / "beat-schedule"), "--loglevel", "INFO"]
    else:
        argv += ["worker", "--pool", "solo", "--concurrency", "1", "--without-gossip", "--without-mingle"]
        argv += ["--loglevel", "INFO"]
    with log.open("ab") as out:
        proc = subprocess.Popen(
            argv,
            env={**os.environ, **env},
            cwd=PROJECT_ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield proc
    finally:
        stop(proc)


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)
