"""With the broker (Redis) down while changes happen, every message arrives once Redis is back:
the changes commit with their outbox rows; the after-commit dispatch fails; beat's sweep re-enqueues."""

from __future__ import annotations

import json

from celery.beat import EmbeddedService
from celery.contrib.testing.worker import start_worker

from registry.services import outbox
from tests.conftest import clean
from tests.functional.workers.conftest import make_settings, wait_for
from tests.functional.workers.test_delivery import messages, subscribed_recruiter, suspend
from workers.app import create_celery


def test_changes_during_redis_outage_are_delivered_after_it_returns(
    _pg_engine, redis_server, receiver, tmp_path
):
    engine = _pg_engine
    clean(engine)
    settings = make_settings(tmp_path, engine, redis_server.url)
    app = create_celery(settings)
    recs = [subscribed_recruiter(engine, receiver.url) for _ in range(3)]
    beat = EmbeddedService(app, thread=True, schedule_filename=str(tmp_path / "beat-schedule"))
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=20):
            beat.start()
            suspend(engine, recs[0], reason="before the outage")
            wait_for(lambda: receiver.count() == 1, 30, what="delivery before the outage")

            redis_server.stop()
            suspend(engine, recs[1], reason="during the outage")
            suspend(engine, recs[2], reason="during the outage")
            pending = [m for m in messages(engine) if m.status == "pending"]
            assert len(pending) == 2  # committed with the changes, not lost
            assert receiver.count() == 1

            redis_server.start()  # an empty Redis: the dispatch tasks sent before the outage are gone
            wait_for(lambda: receiver.count() >= 3, 60, what="deliveries after Redis returned")
            wait_for(
                lambda: all(m.status == "delivered" for m in messages(engine)), 20, what="delivered status"
            )
    finally:
        beat.service.stop(wait=False)  # daemon thread; do not wait for a broker that may be gone
        outbox.set_commit_hook(None)
        app.dispose_engine()
        clean(engine)
    got = sorted(json.loads(r["body"])["data"]["recruiter"]["public_id"] for r in receiver.received)
    assert got == sorted(r.public_id for r in recs)
    assert len({json.loads(r["body"])["id"] for r in receiver.received}) == 3
