"""No secret in any log: a follower notification and a webhook delivery go through a real worker, with a
recognisable bot token, API key and webhook signing secret; the output of every process (worker, web,
bot, command line) shows none of them, although each logged at INFO."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
import redis

from registry.db import session_scope
from registry.models import Follower, SupplierLink
from registry.services import accreditation, companies
from tests import factories
from tests.conftest import clean
from tests.functional.api.conftest import Keys
from tests.functional.bot.fakebotapi import FakeBotAPI
from tests.functional.workers.conftest import Receiver, wait_for, worker_redis_url
from tests.servers import PROJECT_ROOT, celery_worker, request, settings_env, stop, web_server

TOKEN = "7412369850:AAH-rEcOgNiSaBlE_tOkEn-0123456789ab"
FAIRRECRUIT = Path(sys.executable).with_name("fairrecruit")


@pytest.fixture
def pg_stack(_pg_engine, redis_url, tmp_path):
    broker = worker_redis_url(redis_url)
    redis.Redis.from_url(broker).flushdb()
    clean(_pg_engine)
    yield _pg_engine, broker
    clean(_pg_engine)


def test_no_process_logs_the_bot_token_api_keys_or_webhook_secrets(pg_stack, tmp_path):
    engine, broker = pg_stack
    telegram = FakeBotAPI(token=TOKEN).start()
    receiver = Receiver()
    env = settings_env(
        engine.url.render_as_string(hide_password=False),
        tmp_path / "var",
        broker_url=broker,
        telegram_bot_token=TOKEN,
        telegram_api_base_url=telegram.base_url,
        outbox_backoff_base_seconds="0.05",
    )
    logs = {name: tmp_path / f"{name}.log" for name in ("worker", "web", "bot", "cli")}
    with session_scope(engine, write=True) as s:
        rec = factories.accredited(s)
        s.add(Follower(chat_id=880011, recruiter_id=rec.id, language="en"))
        after = (accreditation.get(s, rec.id).valid_until + timedelta(days=1)).isoformat()
    keys = Keys(engine)
    api_key = keys.make("Harbour Garments Ltd")
    with session_scope(engine, write=True) as s:
        s.add(SupplierLink(company_id=keys.company_id, recruiter_id=rec.id))
    bot = None
    try:
        with (
            celery_worker({**env, "FAIRRECRUIT_TELEGRAM_BOT_TOKEN": TOKEN}, logs["worker"]),
            web_server(env, logs["web"]) as port,
        ):
            with logs["bot"].open("ab") as out:
                bot = subprocess.Popen(  # noqa: S603
                    [str(FAIRRECRUIT), "bot"],
                    env={**os.environ, **env},
                    cwd=PROJECT_ROOT,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            telegram.push(
                {
                    "update_id": telegram.next_update_id(),
                    "message": {
                        "message_id": telegram.next_message_id(),
                        "date": int(time.time()),
                        "chat": {"id": 880012, "type": "private"},
                        "from": {"id": 880012, "is_bot": False, "first_name": "W"},
                        "text": "/start",
                    },
                }
            )
            wait_for(
                lambda: [c for c in telegram.calls if c.method == "sendMessage" and c.params.get("chat_id")],
                60,
                what="the bot to answer",
            )
            # A webhook registered through the API (its secret answered once), then a status change
            # made on the command line: the worker signs the webhook and notifies the follower.
            status, body = request(
                port,
                "POST",
                "/api/v1/webhooks",
                json.dumps({"url": receiver.url}).encode(),
                {"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"},
            )
            assert status == 201, body
            secret = json.loads(body)["secret"]
            done = subprocess.run(  # noqa: S603
                [str(FAIRRECRUIT), "checks", "run", "accreditation_expiry", "--as-of", after],
                env={**os.environ, **env},
                cwd=PROJECT_ROOT,
                capture_output=True,
                text=True,
                timeout=120,
            )
            logs["cli"].write_text(done.stdout + done.stderr)
            assert done.returncode == 0, done.stderr
            wait_for(lambda: receiver.count() >= 1, 60, what="the webhook")
            wait_for(
                lambda: [
                    c
                    for c in telegram.calls
                    if c.method == "sendMessage" and c.params.get("chat_id") in (880011, "880011")
                ],
                60,
                what="the follower notification",
            )
            time.sleep(1)  # let the worker log the end of its task
    finally:
        if bot is not None:
            stop(bot)
        telegram.stop()
        receiver.close()

    assert companies.KEY_PREFIX in api_key and secret.startswith("whsec_")
    outputs = {name: path.read_text(errors="replace") for name, path in logs.items()}
    assert "outbox:" in outputs["worker"] and "delivered" in outputs["worker"]  # it did log at INFO
    assert "FairRecruit bot" in outputs["bot"]
    for name, text in outputs.items():
        for label, value in (
            ("bot token", TOKEN),
            ("bot token's secret part", TOKEN.split(":", 1)[1]),
            ("API key", api_key),
            ("API key's secret part", api_key.rsplit("_", 1)[1]),
            ("webhook secret", secret),
            ("webhook secret's random part", secret.removeprefix("whsec_")),
        ):
            assert value not in text, f"the {label} appears in the {name} output"
