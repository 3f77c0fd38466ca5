"""Shared fixtures: settings, migrated engines on SQLite and PostgreSQL, app, client, CLI runner.

Every test that asks for `engine` (or anything built on it) runs once on SQLite and once on
PostgreSQL. Under CI=true a PostgreSQL or Redis that does not answer fails the run; elsewhere the
PostgreSQL half is skipped.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlmodel import Session, SQLModel

from registry.db import make_engine
from registry.migrate import upgrade
from registry.settings import Settings

CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
PG_ADMIN_URL = os.environ.get(
    "FAIRRECRUIT_TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
_REDIS_BASE = os.environ.get("FAIRRECRUIT_TEST_REDIS_URL", "redis://127.0.0.1:6379/15").rsplit("/", 1)[0]
# `make test` runs the suite in parallel (pytest-xdist): each test process gets its own three Redis
# databases (main, rate limits, broker), so one process's flush never empties another's queue.
_XDIST_SLOT = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)


def redis_db(role: str) -> int:
    """This test process's Redis database for `role` ("main", "limits" or "broker")."""
    if _XDIST_SLOT > 4:
        raise RuntimeError("at most 5 parallel test processes share one Redis (16 databases)")
    return 15 - 3 * _XDIST_SLOT - ("main", "limits", "broker").index(role)


def redis_test_url(role: str) -> str:
    return f"{_REDIS_BASE}/{redis_db(role)}"


REDIS_URL = redis_test_url("main")
DATA_DIR = Path(__file__).parent / "data"


# What the fake resolver answers for names under the documentation domains: a globally routable address
# (the documentation ranges 192.0.2.0/24 etc. are not global, so they would be refused).
PUBLIC_TEST_ADDRESS = "93.184.215.14"


class FakeDNS:
    """The resolver webhook targets use in tests: no real DNS. Names under example.com/.org/.net resolve
    to PUBLIC_TEST_ADDRESS unless `names` says otherwise; anything else does not resolve."""

    def __init__(self):
        self.names: dict[str, list[str]] = {}
        self.asked: list[str] = []
        self.default: list[str] | None = None  # what any other name resolves to (None: nothing)

    def __call__(self, host: str, port: int) -> list[str]:
        import socket

        self.asked.append(host)
        if host in self.names:
            return list(self.names[host])
        if host.endswith((".example.com", ".example.org", ".example.net")) or host in (
            "example.com",
            "example.org",
            "example.net",
        ):
            return [PUBLIC_TEST_ADDRESS]
        if self.default is not None:
            return list(self.default)
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")


@pytest.fixture(autouse=True)
def fake_dns():
    """Every test resolves webhook hosts through a FakeDNS (set `fake_dns.names[host]` to steer it)."""
    from registry.services import webhook_targets

    dns = FakeDNS()
    previous = webhook_targets.set_resolver(dns)
    yield dns
    webhook_targets.set_resolver(previous)


def service_missing(what: str, err: Exception) -> None:
    msg = f"{what} is not answering ({type(err).__name__}: {err})"
    if CI:
        pytest.fail(msg + " — under CI=true a missing service is a failure", pytrace=False)
    pytest.skip(msg)


@pytest.fixture(scope="session")
def pg_url(worker_id: str = "master"):
    """A fresh PostgreSQL database for this test session, dropped at the end."""
    name = f"fr_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as e:  # noqa: BLE001
        admin.dispose()
        service_missing("PostgreSQL", e)
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def redis_url():
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except Exception as e:  # noqa: BLE001
        service_missing("Redis", e)
    return REDIS_URL


@pytest.fixture(scope="session")
def _sqlite_engine(tmp_path_factory):
    path = tmp_path_factory.mktemp("db") / "test.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def _pg_engine(pg_url):
    engine = make_engine(pg_url, pool_size=10, max_overflow=10)
    upgrade(engine)
    yield engine
    engine.dispose()


def clean(engine) -> None:
    """Empty every table (tests start from an empty, migrated database)."""
    from registry.services.auditlog import protect_sql, unprotect_sql

    tables = [t.name for t in SQLModel.metadata.sorted_tables]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            # TRUNCATE does not fire the append-only row trigger
            conn.execute(
                text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE")
            )
        else:
            for stmt in unprotect_sql("sqlite"):
                conn.execute(text(stmt))
            for t in reversed(tables):
                conn.execute(text(f'DELETE FROM "{t}"'))
            for stmt in protect_sql("sqlite"):
                conn.execute(text(stmt))


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request) -> str:
    return request.param


@pytest.fixture
def engine(backend, request):
    eng = request.getfixturevalue("_sqlite_engine" if backend == "sqlite" else "_pg_engine")
    clean(eng)
    yield eng
    clean(eng)


@pytest.fixture
def sqlite_engine(_sqlite_engine):
    """For tests that need a database but are about something else (run on SQLite only)."""
    clean(_sqlite_engine)
    yield _sqlite_engine
    clean(_sqlite_engine)


@pytest.fixture
def session(engine):
    with Session(engine, expire_on_commit=False) as s:
        yield s


@pytest.fixture
def settings(tmp_path, engine) -> Settings:
    return Settings(
        env="test",
        var_dir=tmp_path / "var",
        database_url=engine.url.render_as_string(hide_password=False),
        secret_key="test-secret-key-0123456789",
        pseudonym_key="test-pseudonym-key-0123456789",
        public_base_url="http://testserver",
        ratelimit_storage_uri="memory://",
    )


@pytest.fixture
def app(settings, engine):
    from registry import create_app

    app = create_app(settings, engine=engine)
    app.config.update(TESTING=True)
    return app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def cli(settings, monkeypatch):
    """Invoke the `fairrecruit` CLI in-process with this test's settings (via the environment)."""
    from click.testing import CliRunner

    from registry.cli import main

    env = {
        "FAIRRECRUIT_ENV": settings.env,
        "FAIRRECRUIT_DATABASE_URL": settings.database_url,
        "FAIRRECRUIT_VAR_DIR": str(settings.var_dir),
        "FAIRRECRUIT_SECRET_KEY": settings.secret_key,
        "FAIRRECRUIT_PSEUDONYM_KEY": settings.pseudonym_key,
    }
    runner = CliRunner()

    def invoke(*args, input=None):
        return runner.invoke(main, list(args), input=input, env=env, catch_exceptions=False)

    return invoke


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="module")
def chromium():
    """Debian's headless Chromium through Playwright's sync API.

    Module-scoped: the sync API keeps an event loop marked as running on this thread while it is
    open, so it must not outlive the module that uses it (other tests call asyncio.run()).
    """
    sync_api = pytest.importorskip("playwright.sync_api")
    if not os.path.exists(CHROMIUM):
        service_missing("Chromium (/usr/bin/chromium)", FileNotFoundError(CHROMIUM))
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
