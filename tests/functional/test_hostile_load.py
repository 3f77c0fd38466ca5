"""Three clients sending 3.5 MB hostile bodies at once do not stall the public page: each hostile body
is refused in well under a second, and the public search page stays quick meanwhile (gunicorn with the
project's configuration, two workers)."""

from __future__ import annotations

import json
import statistics
import threading
import time

import pytest

from tests.conftest import clean
from tests.functional.api.conftest import Keys
from tests.servers import request, settings_env, web_server

pytestmark = pytest.mark.slow

SENDERS = 3
SECONDS = 6.0


@pytest.fixture
def pg_engine(_pg_engine):
    clean(_pg_engine)
    yield _pg_engine
    clean(_pg_engine)


def test_hostile_bodies_do_not_stall_the_public_page(pg_engine, tmp_path):
    keys = Keys(pg_engine)
    key = keys.make()
    hostile = json.dumps({"ids": ["RA-7K3Q9"], **{f"k{i:06d}": i for i in range(200_000)}}).encode()
    assert len(hostile) >= 3_500_000
    headers = {**keys.headers(key), "Content-Type": "application/json"}
    env = settings_env(pg_engine.url.render_as_string(hide_password=False), tmp_path / "var")
    refused: list[tuple[int, float]] = []
    public: list[tuple[int, float]] = []
    stop = threading.Event()

    def send_hostile():
        while not stop.is_set():
            started = time.perf_counter()
            status, _ = request(port, "POST", "/api/v1/recruiters/verify", hostile, headers)
            refused.append((status, time.perf_counter() - started))

    with web_server(env, tmp_path / "web.log") as port:
        quiet = []  # the same page without hostile traffic: what this machine gives now
        for _ in range(20):
            started = time.perf_counter()
            request(port, "GET", "/verify?q=sunrise")
            quiet.append(time.perf_counter() - started)
        threads = [threading.Thread(target=send_hostile, daemon=True) for _ in range(SENDERS)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + SECONDS
        while time.monotonic() < deadline:
            started = time.perf_counter()
            status, _ = request(port, "GET", "/verify?q=sunrise")
            public.append((status, time.perf_counter() - started))
            time.sleep(0.05)
        stop.set()
        for t in threads:
            t.join(30)

    refusal_times = [s for _, s in refused]
    page_times = [s for _, s in public]
    # "Well under a second" on a quiet machine; what other load there is on this one is allowed for.
    allowance = max(quiet)
    print(
        f"\nquiet public page: median {statistics.median(quiet) * 1000:.0f} ms, max {allowance * 1000:.0f} ms; "
        f"hostile bodies: {len(refused)} refused, median {statistics.median(refusal_times) * 1000:.0f} ms, "
        f"max {max(refusal_times) * 1000:.0f} ms; public page: {len(public)} answered, "
        f"median {statistics.median(page_times) * 1000:.0f} ms, max {max(page_times) * 1000:.0f} ms"
    )
    assert {s for s, _ in refused} == {422}
    assert {s for s, _ in public} == {200}
    assert len(refused) >= SENDERS * 2
    # Bounds, not speed goals: a refusal that parsed the whole body, or a page stalled behind three of
    # them, takes seconds; a machine shared with other work shifts both figures by `allowance`.
    assert statistics.median(refusal_times) < 1.0 + allowance
    slow_pages = sorted(page_times)[int(len(page_times) * 0.9)]
    assert slow_pages < 1.5 + allowance, page_times
