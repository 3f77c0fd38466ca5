"""How the bot runs: `fairrecruit bot` long polling, webhook mode with the secret token, quiet logs."""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.functional.bot.conftest import bot_settings
from tests.functional.bot.fakebotapi import FakeBotAPI
from tests.functional.bot.harness import BotHarness, Chat
from tests.functional.bot.test_report import case_code_in, walk


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_cli_refuses_to_start_without_a_token(cli, monkeypatch):
    monkeypatch.setenv("FAIRRECRUIT_TELEGRAM_BOT_TOKEN", "")
    result = cli("bot")
    assert result.exit_code == 1
    assert "FAIRRECRUIT_TELEGRAM_BOT_TOKEN" in result.output


def test_cli_webhook_mode_needs_url_and_secret(cli, monkeypatch):
    monkeypatch.setenv("FAIRRECRUIT_TELEGRAM_BOT_TOKEN", "1:x")
    result = cli("bot", "--webhook")
    assert result.exit_code == 1
    assert "FAIRRECRUIT_TELEGRAM_WEBHOOK_SECRET" in result.output


def test_fairrecruit_bot_long_polls_the_configured_bot_api(sqlite_engine, tmp_path):
    api = FakeBotAPI().start()
    env = {
        **os.environ,
        "FAIRRECRUIT_TELEGRAM_BOT_TOKEN": api.token,
        "FAIRRECRUIT_TELEGRAM_API_BASE_URL": api.base_url,
        "FAIRRECRUIT_DATABASE_URL": sqlite_engine.url.render_as_string(hide_password=False),
        "FAIRRECRUIT_VAR_DIR": str(tmp_path / "var"),
        "FAIRRECRUIT_PSEUDONYM_KEY": "test-pseudonym-key-0123456789",
    }
    exe = Path(sys.executable).with_name("fairrecruit")
    proc = subprocess.Popen(
        [str(exe), "bot"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        update = {
            "update_id": 1,
            "message": {
                "message_id": 10,
                "date": int(time.time()),
                "text": "/start",
                "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
                "chat": {"id": 555000111, "type": "private"},
                "from": {"id": 555000111, "is_bot": False, "first_name": "W", "language_code": "id"},
            },
        }
        api.push(update)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not any(c.method == "sendMessage" for c in api.calls):
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.05)
        sent = [c for c in api.calls if c.method == "sendMessage"]
        assert sent and "Selamat datang di FairRecruit" in sent[0].text
        assert str(sent[0].params["chat_id"]) == "555000111"
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
        api.stop()
    assert "long polling" in out
    # neither the token nor the chat id reaches the logs
    assert api.token not in out + err
    assert "555000111" not in out + err


def test_webhook_mode_checks_the_secret_token(tmp_path, sqlite_engine):
    port = free_port()
    h = BotHarness(bot_settings(tmp_path, sqlite_engine), sqlite_engine)
    h.start(webhook={"port": port, "secret": "s3cret-token-for-tests"})
    try:
        [setwebhook] = [c for c in h.api.calls if c.method == "setWebhook"]
        assert setwebhook.params["secret_token"] == "s3cret-token-for-tests"
        chat = Chat(h, 8000001, "en")
        update = chat.message_update(
            text="/help", entities=[{"type": "bot_command", "offset": 0, "length": 5}]
        )
        url = f"http://127.0.0.1:{port}/telegram"
        body = json.dumps(update)
        headers = {"Content-Type": "application/json"}
        assert httpx.post(url, content=body, headers=headers).status_code == 403
        wrong = {**headers, "X-Telegram-Bot-Api-Secret-Token": "guess"}
        assert httpx.post(url, content=body, headers=wrong).status_code == 403
        time.sleep(0.2)
        assert not [c for c in h.api.calls if c.method == "sendMessage"]
        right = {**headers, "X-Telegram-Bot-Api-Secret-Token": "s3cret-token-for-tests"}
        assert httpx.post(url, content=body, headers=right).status_code == 200
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not [c for c in h.api.calls if c.method == "sendMessage"]:
            time.sleep(0.02)
        [sent] = [c for c in h.api.calls if c.method == "sendMessage"]
        assert "What I can do:" in sent.text
    finally:
        h.stop()


def test_logs_carry_no_chat_id_name_or_token(bot, registry_data, caplog):
    caplog.set_level(logging.DEBUG)
    chat = bot.chat("en")
    walk(chat, registry_data["ok"], 8)
    case_code_in(chat.tap("rc:yes").text)
    good = bot.services.engine
    from registry.db import make_engine

    bot.services.engine = make_engine(
        "postgresql+psycopg://nobody@127.0.0.1:1/none", connect_args={"connect_timeout": 2}
    )
    try:
        chat.send("/mycases")  # fails: logged without details
    finally:
        bot.services.engine.dispose()
        bot.services.engine = good
    assert any(r.levelno >= logging.ERROR for r in caplog.records)
    text = caplog.text
    assert str(chat.id) not in text
    assert bot.api.token not in text and bot.api.token.split(":")[1] not in text
    assert "Worker" not in text
    for name in ("httpx", "httpcore", "telegram", "telegram.ext"):
        assert logging.getLogger(name).getEffectiveLevel() >= logging.WARNING


@pytest.mark.parametrize("method", ["sendMessage"])
def test_a_bot_api_error_does_not_break_the_bot(bot, registry_data, method):
    chat = bot.chat("en")
    bot.api.fail_methods[method] = 1
    chat.send("/help")  # the reply fails (Telegram answered 500)
    assert "What I can do:" in chat.send("/help").text


def test_group_chats_get_only_a_link_to_a_private_chat(bot, registry_data):
    """Reports are private: in a group, where others would see, the bot only points to a private chat."""
    chat = bot.chat("en")
    update = chat.message_update(text="/report", entities=[{"type": "bot_command", "offset": 0, "length": 7}])
    update["message"]["chat"] = {"id": -100123, "type": "supergroup", "title": "Workers"}
    calls = bot.deliver(update, stopped=True)
    assert [c.method for c in calls] == ["sendMessage"]
    assert "https://t.me/FairRecruitBot" in calls[0].text
    assert update["update_id"] not in bot.processed
    assert "Which recruiter" in chat.send("/report").text  # the same person in a private chat


def test_token_is_redacted_from_log_records(caplog):
    from bot.app import RedactToken

    record = logging.LogRecord(
        "telegram.ext.Updater",
        logging.ERROR,
        __file__,
        1,
        "request to %s failed",
        ("https://api.telegram.org/bot123:SECRET/getUpdates",),
        None,
    )
    assert RedactToken("123:SECRET").filter(record)
    assert record.getMessage() == "request to https://api.telegram.org/bot[token]/getUpdates failed"
    try:
        raise RuntimeError("GET https://api.telegram.org/bot123:SECRET/getMe: 502")
    except RuntimeError:
        import sys

        failed = logging.LogRecord("httpx", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    RedactToken("123:SECRET").filter(failed)
    text = logging.Formatter().format(failed)
    assert "SECRET" not in text and "bot[token]/getMe" in text


def test_the_bot_runs_on_uvloop():
    import asyncio

    import uvloop

    from bot.app import new_event_loop, use_fast_event_loop

    loop = new_event_loop()
    try:
        assert isinstance(loop, uvloop.Loop)
    finally:
        loop.close()
    use_fast_event_loop()  # the loop run_polling / run_webhook then take
    try:
        assert isinstance(asyncio.get_event_loop(), uvloop.Loop)
    finally:
        asyncio.get_event_loop().close()
        asyncio.set_event_loop(None)
