"""The log redaction every process installs: configured secrets and anything in a secret's format are
masked in messages, arguments and tracebacks; the HTTP client loggers are quiet."""

from __future__ import annotations

import logging
import os
import subprocess
import sys

from registry import logs
from registry.settings import Settings
from tests.servers import PROJECT_ROOT

TOKEN = "5550001112:AAF-someBotTokenValue_0123456789abcd"


def record(msg, *args, exc_info=None) -> logging.LogRecord:
    return logging.LogRecord("httpx", logging.INFO, __file__, 1, msg, args, exc_info)


def test_secrets_and_their_formats_are_masked():
    redactor = logs.RedactSecrets(["a-configured-webhook-secret"])
    r = record(
        "POST %s %s", f"https://api.telegram.org/bot{TOKEN}/sendMessage", "a-configured-webhook-secret"
    )
    redactor.filter(r)
    assert r.getMessage() == "POST https://api.telegram.org/bot[token]/sendMessage [token]"
    r = record("key fr_live_ab12cd_Zx9-Yw8_Vu7 and whsec_Q1w2E3r4T5y6 seen")
    redactor.filter(r)
    assert r.getMessage() == "key [redacted] and [redacted] seen"
    assert logs.RedactSecrets().redact("recruiter 12:30 at port 8000, RA-ABC12") == (
        "recruiter 12:30 at port 8000, RA-ABC12"
    )


def test_tracebacks_are_masked():
    try:
        raise RuntimeError(f"GET https://api.telegram.org/bot{TOKEN}/getMe failed")
    except RuntimeError:
        r = record("failed", exc_info=sys.exc_info())
    logs.RedactSecrets().filter(r)
    text = logging.Formatter().format(r)
    assert TOKEN not in text and "bot[token]/getMe" in text


def test_setup_quiets_http_clients_and_masks_every_new_record(caplog):
    logs.setup(Settings(env="test", telegram_bot_token=TOKEN))
    for name in ("httpx", "httpcore", "urllib3"):
        assert logging.getLogger(name).getEffectiveLevel() >= logging.WARNING
    with caplog.at_level(logging.INFO, logger="registry.test"):
        logging.getLogger("registry.test").info("calling %s", f"/bot{TOKEN}/sendMessage")
    assert TOKEN not in caplog.text and "/bot[token]/sendMessage" in caplog.text


def test_worker_and_beat_entry_module_sets_up_the_redaction(tmp_path):
    code = (
        "import logging, workers.main\n"
        "from registry import logs\n"
        "print(logging.getLogger('httpx').getEffectiveLevel(), bool(logs.active().secrets))\n"
    )
    env = {
        **os.environ,
        "FAIRRECRUIT_ENV": "test",
        "FAIRRECRUIT_VAR_DIR": str(tmp_path),
        "FAIRRECRUIT_TELEGRAM_BOT_TOKEN": TOKEN,
    }
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], env=env, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [str(logging.WARNING), "True"]
