"""Every process that commits outbox messages asks for their delivery right after the commit: here the
operator's `fairrecruit checks run`, a real subprocess, with only a worker running (no beat, so no
sweep would ever deliver them), on Redis + PostgreSQL and on the SQLite broker + SQLite."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from celery.contrib.testing.worker import start_worker

from registry import notifications
from registry.db import session_scope
from registry.services import accreditation, delivery, outbox
from registry.settings import PROJECT_ROOT
from tests.functional.bot.fakebotapi import FakeBotAPI
from tests.functional.workers.conftest import wait_for
from tests.functional.workers.test_delivery import SECRET, messages, subscribed_recruiter
from workers.app import create_celery

FAIRRECRUIT = Path(sys.executable).with_name("fairrecruit")


@pytest.fixture
def telegram():
    api = FakeBotAPI().start()
    yield api
    api.stop()


def cli_env(settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAIRRECRUIT_")}
    env.update(
        FAIRRECRUIT_ENV="test",
        FAIRRECRUIT_DATABASE_URL=settings.database_url,
        FAIRRECRUIT_BROKER_URL=settings.broker_url,
        FAIRRECRUIT_VAR_DIR=str(settings.var_dir),
        FAIRRECRUIT_SECRET_KEY=settings.secret_key,
        FAIRRECRUIT_PSEUDONYM_KEY=settings.pseudonym_key,
        FAIRRECRUIT_TELEGRAM_BOT_TOKEN=settings.telegram_bot_token,
        FAIRRECRUIT_TELEGRAM_API_BASE_URL=settings.telegram_api_base_url,
    )
    return env


def test_checks_run_on_the_command_line_is_delivered_at_once(stack, receiver, telegram):
    settings, engine = stack
    settings.telegram_bot_token = telegram.token
    settings.telegram_api_base_url = telegram.base_url
    rec = subscribed_recruiter(engine, receiver.url, followers=((777003, "bn"),))
    with session_scope(engine) as s:
        after = (accreditation.get(s, rec.id).valid_until + timedelta(days=1)).isoformat()
    # The worker's app installs no hook in this process: only the command can ask for the delivery.
    app = create_celery(settings, install_commit_hook=False)
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=15):
            cmd = [str(FAIRRECRUIT), "checks", "run", "accreditation_expiry", "--as-of", after]
            done = subprocess.run(
                cmd, env=cli_env(settings), cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120
            )
            assert done.returncode == 0, done.stderr
            assert f"{rec.public_id}: accredited -> expired" in done.stdout
            committed = time.monotonic()
            wait_for(lambda: receiver.count() >= 1, 15, what="the webhook")
            wait_for(lambda: [c for c in telegram.calls if c.method == "sendMessage"], 15, what="the message")
            assert time.monotonic() - committed < 15
            wait_for(lambda: all(m.status == "delivered" for m in messages(engine)), 10, what="delivered")
    finally:
        app.dispose_engine()

    (hook,) = receiver.received
    event = json.loads(hook["body"])
    assert event["type"] == outbox.STATUS_CHANGED and event["data"]["to"] == "expired"
    assert event["data"]["recruiter"]["public_id"] == rec.public_id
    assert delivery.verify_signature(SECRET, hook["body"], hook["headers"]["FairRecruit-Signature"])
    (sent,) = [c for c in telegram.calls if c.method == "sendMessage"]
    (bot_msg,) = [m for m in messages(engine) if m.channel == "bot"]
    assert int(sent.params["chat_id"]) == 777003
    assert sent.text == notifications.status_changed("bn", bot_msg.payload)  # the follower's language
    assert rec.public_id in sent.text and "মেয়াদ শেষ" in sent.text


def test_every_entry_point_installs_the_dispatch_after_commit(tmp_path, monkeypatch):
    """The web workers (gunicorn's post_fork), the Celery worker (workers.main) and the CLI."""
    monkeypatch.setenv("FAIRRECRUIT_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("FAIRRECRUIT_BROKER_URL", "redis://127.0.0.1:1/0")  # nobody listens: never reached
    previous = outbox.set_commit_hook(None)
    try:
        spec = importlib.util.spec_from_file_location(
            "gunicorn_conf", PROJECT_ROOT / "config" / "gunicorn.conf.py"
        )
        conf = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(conf)
        conf.post_fork(None, None)
        assert outbox.commit_hook() is not None
        outbox.set_commit_hook(None)

        from registry.cli import Context

        ctx = Context()
        assert ctx.engine is not None and outbox.commit_hook() is not None
        assert outbox.commit_hook()() is False  # its sending app is made now; the broker is down
        ctx.close()
        assert outbox.commit_hook() is None  # the command put back what was there
    finally:
        outbox.set_commit_hook(previous)
    code = (
        "from registry.services import outbox; import workers.main; print(outbox.commit_hook() is not None)"
    )
    env = {
        **os.environ,
        "FAIRRECRUIT_VAR_DIR": str(tmp_path),
        "FAIRRECRUIT_BROKER_URL": "redis://127.0.0.1:1/0",
    }
    out = subprocess.run(
        [sys.executable, "-W", "error", "-c", code], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True
    )
    assert out.returncode == 0 and out.stdout.strip() == "True", out.stderr
