"""One bad receiver harms no one else: with one receiver that accepts connections and never answers and
one healthy receiver (real sockets, a real Celery worker), the healthy one and the Bot API are served at
once, also while the hanging one holds its own lane."""

from __future__ import annotations

import socket
import time

from celery.contrib.testing.worker import start_worker

from registry.db import session_scope
from registry.models import Follower, SupplierLink, WebhookEndpoint
from registry.services import companies
from tests import factories
from tests.functional.workers.conftest import wait_for
from tests.functional.workers.test_delivery import SECRET, celery_app, suspend  # noqa: F401

# A behaviour bound for isolation (the hanging receiver holds its lane for webhook_timeout_seconds = 5 s
# per attempt), generous enough for a loaded machine.
SERVED_WITHIN = 2.0


def test_a_hanging_receiver_does_not_hold_up_a_healthy_one_or_the_bot(stack, celery_app, receiver):  # noqa: F811
    settings, engine = stack
    settings.telegram_api_base_url = receiver.url.rsplit("/", 2)[0] + "/bot"
    hanging = socket.socket()  # the kernel accepts connections; nobody ever answers
    hanging.bind(("127.0.0.1", 0))
    hanging.listen(64)
    try:
        with session_scope(engine, write=True) as s:
            rec = factories.accredited(s)
            slow, _ = companies.get_or_create(s, "Stalled Receivers Ltd")
            good, _ = companies.get_or_create(s, "Harbour Garments Ltd")
            s.flush()
            s.add(
                WebhookEndpoint(
                    company_id=slow.id, url=f"http://127.0.0.1:{hanging.getsockname()[1]}/hook", secret=SECRET
                )
            )
            healthy = WebhookEndpoint(company_id=good.id, url=receiver.url, secret=SECRET)
            s.add(healthy)
            s.add_all([SupplierLink(company_id=c.id, recruiter_id=rec.id) for c in (slow, good)])
            s.add(Follower(chat_id=555001, recruiter_id=rec.id, language="en"))
            s.flush()
            healthy_id, good_id = healthy.id, good.id

        def hooks() -> int:
            return sum(1 for r in receiver.received if r["path"] == "/hooks/fairrecruit")

        def bot_calls() -> int:
            return sum(1 for r in receiver.received if r["path"].endswith("/sendMessage"))

        with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
            # Warm up: the worker is up and delivering.
            with session_scope(engine, write=True) as s:
                companies.send_test_event(s, good_id, healthy_id)
            wait_for(lambda: hooks() >= 1, 60, what="the worker to deliver a first message")

            started = time.monotonic()
            suspend(engine, rec)  # one message to each receiver and one to the follower's chat
            wait_for(lambda: hooks() >= 2 and bot_calls() >= 1, 10, what="the healthy receiver and the bot")
            first = time.monotonic() - started

            # The hanging receiver now holds its lane (5 s per attempt); another message to the
            # healthy one goes out meanwhile.
            started = time.monotonic()
            with session_scope(engine, write=True) as s:
                companies.send_test_event(s, good_id, healthy_id)
            wait_for(lambda: hooks() >= 3, 10, what="the healthy receiver while the other hangs")
            second = time.monotonic() - started
    finally:
        hanging.close()
    assert first < SERVED_WITHIN, f"healthy receiver and bot served after {first:.2f} s"
    assert second < SERVED_WITHIN, f"healthy receiver served after {second:.2f} s while another hung"
