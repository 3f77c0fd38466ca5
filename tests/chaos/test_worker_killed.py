"""Two Celery workers deliver webhooks; one is killed with SIGKILL while both are in the middle of a
delivery. The other goes on alone: every event arrives (the killed worker's message again once its lease
ran out, with the same event id), and nothing is restarted."""

from __future__ import annotations

import os
import signal
import time

import pytest
from sqlalchemy import select

from registry.db import session_scope
from registry.models import OutboxMessage
from registry.models.outbox import OutboxStatus
from registry.settings import Settings
from tests.chaos.conftest import SlowReceiver, figures, stack_env
from tests.functional.workers.conftest import wait_for
from tests.functional.workers.test_delivery import subscribed_recruiter, suspend
from tests.servers import celery_worker

pytestmark = pytest.mark.chaos

EVENTS = 12


def outbox_ids(engine) -> dict[str, str]:
    with session_scope(engine) as s:
        return {
            m.message_id: m.status
            for m in s.scalars(select(OutboxMessage).where(OutboxMessage.channel == "webhook"))
        }


def test_worker_killed_mid_delivery(pg_engine, own_redis, tmp_path):
    from registry import taskqueue

    receiver = SlowReceiver(delay=0.6)
    env = stack_env(pg_engine, tmp_path, own_redis.url)
    settings = Settings(**{k.removeprefix("FAIRRECRUIT_").lower(): v for k, v in env.items()})
    sender = taskqueue.client(settings)
    try:
        recs = [subscribed_recruiter(pg_engine, receiver.url) for _ in range(EVENTS)]
        with (
            celery_worker(env, tmp_path / "worker-a.log") as victim,
            celery_worker(env, tmp_path / "worker-b.log"),
        ):
            for rec in recs:
                suspend(pg_engine, rec, reason="chaos: overcharging workers")
            sent = set(outbox_ids(pg_engine))
            assert len(sent) == EVENTS
            for _ in range(2):  # one dispatch task for each worker
                assert taskqueue.enqueue(sender, taskqueue.DISPATCH_OUTBOX)
            wait_for(lambda: receiver.in_flight >= 2, 60, what="both workers in the middle of a delivery")
            os.kill(victim.pid, signal.SIGKILL)
            killed_at = time.monotonic()
            victim.wait(10)
            wait_for(
                lambda: all(s == OutboxStatus.delivered for s in outbox_ids(pg_engine).values()),
                120,
                interval=0.2,
                what="every message delivered by the surviving worker",
            )
            recovery = time.monotonic() - killed_at
    finally:
        receiver.close()
    lost, duplicated = figures(
        "worker killed (SIGKILL) mid-delivery",
        sent=sent,
        received=receiver.ids,
        recovery=recovery,
        extra="the surviving worker took over; no process restarted",
    )
    assert lost == 0
    assert set(receiver.ids) == sent  # duplicates, if any, carry the id of an event that was sent
    assert duplicated <= 1  # at most the one message the killed worker was sending
