"""The test's own Redis (broker and rate-limit storage) is stopped for a few seconds and started again,
empty, while the API serves traffic (gunicorn) and a Celery worker and beat deliver status changes. The
API answers throughout (never 500), every event arrives, and no process is restarted."""

from __future__ import annotations

import collections
import threading
import time

import pytest
from sqlalchemy import select

from registry.db import session_scope
from registry.models import OutboxMessage
from registry.models.outbox import OutboxStatus
from registry.services import outbox
from registry.settings import Settings
from tests.chaos.conftest import SlowReceiver, figures, stack_env
from tests.functional.api.conftest import Keys
from tests.functional.workers.conftest import wait_for
from tests.functional.workers.test_delivery import subscribed_recruiter, suspend
from tests.servers import celery_worker, request, web_server

pytestmark = pytest.mark.chaos

EVENTS = 20
OUTAGE_SECONDS = 5.0


def webhook_messages(engine) -> dict[str, str]:
    with session_scope(engine) as s:
        rows = s.scalars(select(OutboxMessage).where(OutboxMessage.channel == "webhook"))
        return {m.message_id: m.status for m in rows}


def test_redis_stopped_and_started_under_traffic(pg_engine, own_redis, tmp_path):
    receiver = SlowReceiver(delay=0.05)
    env = stack_env(
        pg_engine,
        tmp_path,
        own_redis.url,
        ratelimit_storage_uri=own_redis.url,
        api_rate_limit="100000/minute",
        outbox_sweep_seconds="1",
    )
    settings = Settings(**{k.removeprefix("FAIRRECRUIT_").lower(): v for k, v in env.items()})
    keys = Keys(pg_engine)
    key = keys.make(company="Chaos Traders Ltd")
    answers: collections.Counter[int] = collections.Counter()
    stop = threading.Event()
    restore = outbox.install_dispatch_after_commit(settings)  # this process commits changes too
    try:
        recs = [subscribed_recruiter(pg_engine, receiver.url) for _ in range(EVENTS)]
        with (
            web_server(env, tmp_path / "web.log") as port,
            celery_worker(env, tmp_path / "worker.log"),
            celery_worker({**env}, tmp_path / "beat.log", beat=True),
        ):

            def api_traffic():
                while not stop.is_set():
                    for path in ("/api/v1/recruiters?limit=5", "/api/v1/suppliers"):
                        try:
                            answers[request(port, "GET", path, headers=keys.headers(key), timeout=10)[0]] += 1
                        except OSError:
                            answers[0] += 1  # no answer at all
                    time.sleep(0.02)

            traffic = threading.Thread(target=api_traffic, daemon=True)
            traffic.start()
            for i, rec in enumerate(recs):
                if i == EVENTS // 3:
                    own_redis.stop()
                    stopped_at = time.monotonic()
                if i == 2 * EVENTS // 3:
                    time.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - stopped_at)))
                    own_redis.start()  # empty: the tasks queued before the outage are gone
                    restarted_at = time.monotonic()
                suspend(pg_engine, rec, reason="chaos: broker outage")
                time.sleep(0.1)
            sent = set(webhook_messages(pg_engine))
            wait_for(
                lambda: all(s == OutboxStatus.delivered for s in webhook_messages(pg_engine).values()),
                120,
                interval=0.2,
                what="every message delivered after Redis returned",
            )
            recovery = time.monotonic() - restarted_at
            time.sleep(1.0)
            stop.set()
            traffic.join(20)
            healthy = request(port, "GET", "/readyz")[0]
    finally:
        stop.set()
        restore()
        receiver.close()
    lost, duplicated = figures(
        f"Redis stopped {OUTAGE_SECONDS:.0f} s and restarted empty",
        sent=sent,
        received=receiver.ids,
        recovery=recovery,
        extra=f"API answers {dict(sorted(answers.items()))}; no process restarted",
    )
    assert len(sent) == EVENTS and lost == 0
    assert set(receiver.ids) == sent
    assert answers[500] == 0 and answers[0] == 0 and set(answers) == {200}, answers
    assert healthy == 200  # ready again: database, Redis and broker all answer
    assert duplicated <= EVENTS  # redelivery is allowed, always under the same event id
