"""No secret in any log: what every process (web, worker, beat, bot, command line) calls at start.

:func:`setup` quiets the HTTP client loggers (``httpx``, ``httpcore``, ``urllib3``: their INFO lines
quote request URLs, and the Bot API's URLs carry the bot token) and makes every log record pass
:class:`RedactSecrets`, which masks

- the configured secrets themselves (the bot token, the Telegram webhook secret, the two keys), and
- anything in the format of a secret: bot tokens (``<digits>:<35 characters>``, also inside
  ``/bot<token>/`` URLs), API keys (``fr_live_…``) and webhook signing secrets (``whsec_…``),

in the message, its arguments and a rendered traceback. The filter sits on the handlers of the root
logger (and of any logger that has its own, such as gunicorn's and Celery's; a Celery process calls
:func:`install_on_handlers` again once Celery has set up its logging) and, through the log record
factory, on every record created in the process, so a record logged before a handler exists (Python's
last-resort handler) is masked too.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

QUIET_LOGGERS = ("httpx", "httpcore", "urllib3", "hpack")
MASK = "[redacted]"
BOT_MASK = "[token]"  # what a bot token is replaced with

# Bot API tokens: the bot's numeric id, a colon, 35 URL-safe characters (be generous on the length).
# Standing alone or right after the "/bot" of a Bot API URL.
BOT_TOKEN = re.compile(r"(?:(?<=/bot)|(?<![A-Za-z0-9_-]))\d{3,15}:[A-Za-z0-9_-]{20,80}(?![A-Za-z0-9_-])")
# API keys (registry.services.companies.KEY_PREFIX) and webhook signing secrets.
SECRET_FORMATS = re.compile(r"\b(?:fr_live_|whsec_)[A-Za-z0-9_-]+")
_MIN_SECRET_LENGTH = 6  # shorter configured values would mask ordinary words


class RedactSecrets(logging.Filter):
    """Masks the given secrets and anything in the format of one; never drops a record."""

    def __init__(self, secrets: Iterable[str] = ()):
        super().__init__()
        self.secrets = sorted(
            {s for s in secrets if s and len(s) >= _MIN_SECRET_LENGTH}, key=len, reverse=True
        )

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, BOT_MASK)
        text = BOT_TOKEN.sub(BOT_MASK, text)
        return SECRET_FORMATS.sub(MASK, text)

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_fairrecruit_redacted", None) is self:
            return True
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken format string: log what there is, masked
            message = f"{record.msg} {record.args}"
        clean = self.redact(message)
        if clean != message or record.args:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            # Formatters reuse exc_text: render the traceback here, masked.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        record._fairrecruit_redacted = self
        return True


_active: RedactSecrets = RedactSecrets()
_factory_installed = False


def secrets_of(settings) -> list[str]:
    """The configured values that must never appear in a log."""
    return [
        settings.telegram_bot_token,
        settings.telegram_webhook_secret,
        settings.secret_key,
        settings.pseudonym_key,
    ]


def quiet_http_clients() -> None:
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


def _handlers() -> list[logging.Handler]:
    found: list[logging.Handler] = list(logging.getLogger().handlers)
    for logger in list(logging.Logger.manager.loggerDict.values()):
        if isinstance(logger, logging.Logger):
            found.extend(logger.handlers)
    return found


def install_on_handlers(redactor: RedactSecrets | None = None) -> None:
    """Put the active filter on every handler of the root logger and of every other logger."""
    redactor = redactor or _active
    for handler in _handlers():
        for f in list(handler.filters):
            if isinstance(f, RedactSecrets) and f is not redactor:
                handler.removeFilter(f)
        if redactor not in handler.filters:
            handler.addFilter(redactor)


def _install_record_factory() -> None:
    global _factory_installed
    if _factory_installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args, **kwargs) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        _active.filter(record)
        return record

    logging.setLogRecordFactory(factory)
    _factory_installed = True


def setup(settings=None, *, secrets: Iterable[str] = ()) -> RedactSecrets:
    """Quiet the HTTP client loggers and mask secrets in every log record of this process (the
    configured ones of `settings`, any in `secrets`, and all in a secret's format). Safe to call again
    (the latest secrets win)."""
    global _active
    quiet_http_clients()
    values = list(secrets) + (secrets_of(settings) if settings is not None else [])
    _active = RedactSecrets(values)
    _install_record_factory()
    install_on_handlers(_active)
    return _active


def active() -> RedactSecrets:
    return _active
